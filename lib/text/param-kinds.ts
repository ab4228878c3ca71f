/**
 * What each parameter is, so a reviewer reads "USD 5,000.00" rather than
 * `5000`, sees an email's domain apart from its local part, and reads
 * multi-line text as lines. Pure (used by pages): the params are flattened
 * to their leaves with paths (`customer.email`, `items[0].sku`), each leaf
 * classified by its value and, for money, by its key and a sibling currency.
 * Nothing here decides anything: the exact JSON is always shown too.
 */

export type ParamKind =
  | { kind: "money"; formatted: string; currency: string | null; minorUnits: boolean }
  | { kind: "email"; local: string; domain: string }
  | { kind: "url"; scheme: string; host: string; rest: string }
  | { kind: "datetime"; iso: string }
  | { kind: "multiline"; lines: number }
  | { kind: "text" }
  | { kind: "number" }
  | { kind: "boolean" }
  | { kind: "null" }
  | { kind: "empty"; brackets: "[]" | "{}" };

export interface ParamLeaf {
  /** Where the value sits: `amount`, `customer.email`, `items[0].sku`; keys that are not plain names are quoted. */
  path: string;
  value: unknown;
  display: ParamKind;
}

/** The words of a key: `refund_amount_cents`, `refundAmountCents` and `refund-amount-cents` are all refund, amount, cents. */
const words = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
/** Last words that name an amount of money; an amount in minor units ends with one of MINOR after it (`amount_cents`). */
const MONEY = new Set(["amount", "amounts", "price", "total", "cost", "fee", "fees", "balance", "subtotal", "refund", "charge", "payment"]);
const MINOR = new Set(["cents", "minor", "pence"]);

/** Whether a key names money, and whether in minor units; `name` is its words without the minor-units suffix. */
function moneyKey(key: string): { name: string[]; minorUnits: boolean } | null {
  const w = words(key);
  if (w.length === 0) return null;
  const minorUnits = MINOR.has(w[w.length - 1]) || (w.length >= 2 && w[w.length - 2] === "in" && MINOR.has(w[w.length - 1]));
  const rest = minorUnits ? w.slice(0, w[w.length - 2] === "in" ? -2 : -1) : w;
  if (minorUnits && rest.length === 0) return { name: [], minorUnits }; // plain `cents`
  return rest.length > 0 && MONEY.has(rest[rest.length - 1]) ? { name: rest, minorUnits } : null;
}
const CURRENCY_CODE = /^[A-Za-z]{3}$/;
const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]+$/;
const URL_TEXT = /^(https?):\/\/([^/?#\s]+)([^\s]*)$/i;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

/** At most this many leaves are listed; the JSON below always has all of them. */
export const MAX_LEAVES = 100;
const MAX_DEPTH = 6;

/** The currency named next to a money key: `fee_currency` for `fee`, `refund_currency` for `refund_amount`, else `currency`. */
function siblingCurrency(name: string[], siblings: Record<string, unknown>): string | null {
  const wanted = [...name.map((_, i) => [...name.slice(0, name.length - i), "currency"].join(" ")), "currency", "currency code"];
  for (const name of wanted) {
    const key = Object.keys(siblings).find((k) => words(k).join(" ") === name);
    const v = key === undefined ? undefined : siblings[key];
    if (typeof v === "string" && CURRENCY_CODE.test(v)) return v.toUpperCase();
  }
  return null;
}

export function formatMoney(value: number, currency: string | null, minorUnits: boolean, locale?: string): string {
  if (currency) {
    try {
      const format = new Intl.NumberFormat(locale, { style: "currency", currency, currencyDisplay: "code" });
      const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
      return format.format(minorUnits ? value / 10 ** digits : value);
    } catch {
      // Not a currency this browser knows: the number and the code as sent.
    }
  }
  const n = new Intl.NumberFormat(locale, { maximumFractionDigits: 20 }).format(minorUnits ? value / 100 : value);
  return currency ? `${n} ${currency}` : n;
}

export function classify(key: string | null, value: unknown, siblings: Record<string, unknown>, locale?: string): ParamKind {
  if (value === null) return { kind: "null" };
  if (typeof value === "boolean") return { kind: "boolean" };
  if (typeof value === "number") {
    const money = key === null ? null : moneyKey(key);
    if (money && Number.isFinite(value)) {
      const currency = siblingCurrency(money.name, siblings);
      const minorUnits = money.minorUnits;
      return { kind: "money", formatted: formatMoney(value, currency, minorUnits, locale), currency, minorUnits };
    }
    return { kind: "number" };
  }
  if (typeof value === "string") {
    if (value.includes("\n")) return { kind: "multiline", lines: value.split("\n").length };
    if (value.length <= 320 && EMAIL.test(value)) {
      const at = value.lastIndexOf("@");
      return { kind: "email", local: value.slice(0, at), domain: value.slice(at + 1) };
    }
    const url = value.length <= 2048 ? URL_TEXT.exec(value) : null;
    if (url) return { kind: "url", scheme: url[1].toLowerCase(), host: url[2], rest: url[3] };
    if (ISO_DATETIME.test(value) && !Number.isNaN(Date.parse(value))) return { kind: "datetime", iso: value };
    return { kind: "text" };
  }
  if (Array.isArray(value) && value.length === 0) return { kind: "empty", brackets: "[]" };
  return { kind: "empty", brackets: "{}" };
}

const childPath = (path: string, key: string) => (PLAIN_KEY.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`);

/**
 * Every leaf of the params, depth first, keys in canonical order (as the JSON
 * view sorts them), at most MAX_LEAVES; `more` counts those left out.
 */
export function paramLeaves(params: Record<string, unknown>, locale?: string): { leaves: ParamLeaf[]; more: number } {
  const leaves: ParamLeaf[] = [];
  let more = 0;
  const visit = (path: string, key: string | null, value: unknown, siblings: Record<string, unknown>, depth: number) => {
    const container = value !== null && typeof value === "object";
    const nonEmpty = container && (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0);
    if (nonEmpty && depth < MAX_DEPTH) {
      if (Array.isArray(value)) for (const [i, v] of value.entries()) visit(`${path}[${i}]`, null, v, {}, depth + 1);
      else {
        const obj = value as Record<string, unknown>;
        for (const k of Object.keys(obj).sort()) visit(childPath(path, k), k, obj[k], obj, depth + 1);
      }
      return;
    }
    if (leaves.length >= MAX_LEAVES) {
      more++;
      return;
    }
    // Deeper than MAX_DEPTH: shown as text (its JSON), like any long string.
    const shown = nonEmpty ? JSON.stringify(value) : value;
    leaves.push({ path, value: shown, display: nonEmpty ? { kind: "text" } : classify(key, value, siblings, locale) });
  };
  for (const k of Object.keys(params).sort()) visit(childPath("", k), k, params[k], params, 1);
  return { leaves, more };
}
