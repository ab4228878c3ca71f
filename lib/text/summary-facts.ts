/**
 * The agent writes a request's summary, and reviewers read it first; the
 * grant binds only the params. A summary that says "Refund $5" over
 * `amount: 5000` is wrong, or a lie: this finds the numbers and identifiers a
 * summary states that the params (and resource) do not contain, so the
 * screen can say so next to the headline.
 */

/** A number as written in prose: `5`, `5.00`, `1,250`, `1 250` is two. Currency signs and units around it are ignored. */
const NUMBER = /(?<![\p{L}\p{N}_.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}_.])\d+(?:\.\d+)?(?![\p{L}\p{N}_])/gu;
/** A word of letters, digits, `_`, `-`, `.`, `:`, `/`, `@`: checked as an identifier when it has the shape of one (`IDENTIFIER_SHAPE`). */
const IDENTIFIER = /[\p{L}\p{N}][\p{L}\p{N}_\-.:/@]*[\p{L}\p{N}]/gu;
/** `cus_007`, `db:orders`, `ana@example.com`, `s3://bucket`, `INV-2041`; not `v2.3.1`, `3rd` or `a1b2c3`, which prose uses as words. */
const IDENTIFIER_SHAPE = /[_@:/]|\p{L}-\p{N}/u;

export interface SummaryMismatch {
  /** What the summary states, as written. */
  text: string;
  kind: "number" | "identifier";
}

/** Every number and every string found in `value`, at any depth. */
function collect(value: unknown, numbers: number[], strings: string[], depth = 0): void {
  if (depth > 64) return;
  if (typeof value === "number" && Number.isFinite(value)) numbers.push(value);
  else if (typeof value === "string") {
    strings.push(value.toLowerCase());
    // Numbers written inside strings count too ("amount": "5.00").
    for (const m of value.matchAll(NUMBER)) numbers.push(Number(m[0].replaceAll(",", "")));
  } else if (Array.isArray(value)) for (const v of value) collect(v, numbers, strings, depth + 1);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      strings.push(k.toLowerCase());
      collect(v, numbers, strings, depth + 1);
    }
  }
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * The numbers and identifiers in `summary` that appear nowhere in `params`
 * or `resource`. A number matches a param equal to it, or to it in minor
 * units (a summary's `$5.00` and `amount: 500` agree); an identifier matches
 * when some param string or key contains it (case-insensitively). Plain
 * words are not checked: only what can be compared.
 */
export function summaryMismatches(summary: string, params: unknown, resource?: string | null): SummaryMismatch[] {
  const numbers: number[] = [];
  const strings: string[] = [];
  collect(params, numbers, strings);
  if (resource) collect(resource, numbers, strings);
  const found: SummaryMismatch[] = [];
  const seen = new Set<string>();
  const add = (m: SummaryMismatch) => {
    if (seen.has(m.text)) return;
    seen.add(m.text);
    found.push(m);
  };
  for (const m of summary.matchAll(IDENTIFIER)) {
    const id = m[0];
    if (!IDENTIFIER_SHAPE.test(id)) continue;
    if (!strings.some((s) => s.includes(id.toLowerCase()))) add({ text: id, kind: "identifier" });
  }
  // Where words with letters stand: a number inside one (`cus_007`, `INV-2041`, `ebe85d`) is part of that word, not an amount.
  const words = [...summary.matchAll(IDENTIFIER)].filter((m) => /[\p{L}_@]/u.test(m[0])).map((m) => [m.index, m.index + m[0].length]);
  for (const m of summary.matchAll(NUMBER)) {
    if (words.some(([from, to]) => m.index >= from && m.index < to)) continue;
    const n = Number(m[0].replaceAll(",", ""));
    if (!numbers.some((p) => close(p, n) || close(p, n * 100))) add({ text: m[0], kind: "number" });
  }
  return found;
}
