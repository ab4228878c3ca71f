/**
 * Characters a reviewer cannot see, or that change the order in which they
 * see the others: bidi controls (an RLO turns `acct_\u202e1234_evil\u202c` into
 * what reads as `acct_live_4321`), zero-width and other default-ignorable
 * characters, tag characters (which can smuggle whole ASCII texts), variation
 * selectors, and controls other than line feed, tab and CR LF. Pure and free of
 * Node APIs: the dashboard, the risk flags, email and webhook text share it.
 */

export type HiddenKind = "bidi" | "tag" | "control" | "invisible";

export interface HiddenCharacter {
  codePoint: number;
  /** `U+202E`. */
  hex: string;
  /** `RIGHT-TO-LEFT OVERRIDE`. */
  name: string;
  /** `RLO`, or null when there is no usual abbreviation. */
  short: string | null;
  kind: HiddenKind;
}

// Unicode properties rather than a hand-kept table: Cf (format), Cc (controls),
// Cs (lone surrogates), Zl/Zp (line and paragraph separators), and the binary
// properties that cover invisible letters such as HANGUL FILLER.
const HIDDEN = /[\p{Cf}\p{Cc}\p{Cs}\p{Zl}\p{Zp}\p{Bidi_Control}\p{Variation_Selector}\p{Default_Ignorable_Code_Point}]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, "gu");
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const EMOJI_MODIFIER = /\p{Emoji_Modifier}/u;

const NAMES: Record<number, [string, string | null]> = {
  0x00: ["NULL", "NUL"],
  0x07: ["BELL", "BEL"],
  0x08: ["BACKSPACE", "BS"],
  0x0b: ["LINE TABULATION", "VT"],
  0x0c: ["FORM FEED", "FF"],
  0x0d: ["CARRIAGE RETURN", "CR"],
  0x1b: ["ESCAPE", "ESC"],
  0x7f: ["DELETE", "DEL"],
  0x85: ["NEXT LINE", "NEL"],
  0xad: ["SOFT HYPHEN", "SHY"],
  0x034f: ["COMBINING GRAPHEME JOINER", "CGJ"],
  0x061c: ["ARABIC LETTER MARK", "ALM"],
  0x115f: ["HANGUL CHOSEONG FILLER", null],
  0x1160: ["HANGUL JUNGSEONG FILLER", null],
  0x17b4: ["KHMER VOWEL INHERENT AQ", null],
  0x17b5: ["KHMER VOWEL INHERENT AA", null],
  0x180e: ["MONGOLIAN VOWEL SEPARATOR", "MVS"],
  0x200b: ["ZERO WIDTH SPACE", "ZWSP"],
  0x200c: ["ZERO WIDTH NON-JOINER", "ZWNJ"],
  0x200d: ["ZERO WIDTH JOINER", "ZWJ"],
  0x200e: ["LEFT-TO-RIGHT MARK", "LRM"],
  0x200f: ["RIGHT-TO-LEFT MARK", "RLM"],
  0x2028: ["LINE SEPARATOR", "LSEP"],
  0x2029: ["PARAGRAPH SEPARATOR", "PSEP"],
  0x202a: ["LEFT-TO-RIGHT EMBEDDING", "LRE"],
  0x202b: ["RIGHT-TO-LEFT EMBEDDING", "RLE"],
  0x202c: ["POP DIRECTIONAL FORMATTING", "PDF"],
  0x202d: ["LEFT-TO-RIGHT OVERRIDE", "LRO"],
  0x202e: ["RIGHT-TO-LEFT OVERRIDE", "RLO"],
  0x2060: ["WORD JOINER", "WJ"],
  0x2061: ["FUNCTION APPLICATION", null],
  0x2062: ["INVISIBLE TIMES", null],
  0x2063: ["INVISIBLE SEPARATOR", null],
  0x2064: ["INVISIBLE PLUS", null],
  0x2066: ["LEFT-TO-RIGHT ISOLATE", "LRI"],
  0x2067: ["RIGHT-TO-LEFT ISOLATE", "RLI"],
  0x2068: ["FIRST STRONG ISOLATE", "FSI"],
  0x2069: ["POP DIRECTIONAL ISOLATE", "PDI"],
  0x3164: ["HANGUL FILLER", null],
  0xfeff: ["ZERO WIDTH NO-BREAK SPACE", "BOM"],
  0xffa0: ["HALFWIDTH HANGUL FILLER", null],
  0xe0001: ["LANGUAGE TAG", null],
  0xe007f: ["CANCEL TAG", null],
};

const hexOf = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;

function describe(char: string): HiddenCharacter {
  const codePoint = char.codePointAt(0)!;
  const hex = hexOf(codePoint);
  const known = NAMES[codePoint];
  const kind: HiddenKind = /\p{Bidi_Control}/u.test(char)
    ? "bidi"
    : codePoint >= 0xe0000 && codePoint <= 0xe007f
      ? "tag"
      : /[\p{Cc}\p{Cs}]/u.test(char)
        ? "control"
        : "invisible";
  if (known) return { codePoint, hex, name: known[0], short: known[1], kind };
  if (codePoint >= 0xfe00 && codePoint <= 0xfe0f)
    return { codePoint, hex, name: `VARIATION SELECTOR-${codePoint - 0xfe00 + 1}`, short: `VS${codePoint - 0xfe00 + 1}`, kind };
  if (codePoint >= 0xe0100 && codePoint <= 0xe01ef)
    return { codePoint, hex, name: `VARIATION SELECTOR-${codePoint - 0xe0100 + 17}`, short: `VS${codePoint - 0xe0100 + 17}`, kind };
  // A tag character mirrors an ASCII one: saying which reveals a smuggled text.
  if (kind === "tag" && codePoint >= 0xe0021 && codePoint <= 0xe007e)
    return { codePoint, hex, name: `TAG ${String.fromCharCode(codePoint - 0xe0000)}`, short: `TAG ${String.fromCharCode(codePoint - 0xe0000)}`, kind };
  if (codePoint === 0xe0020) return { codePoint, hex, name: "TAG SPACE", short: null, kind };
  if (kind === "control")
    return { codePoint, hex, name: codePoint >= 0xd800 && codePoint <= 0xdfff ? "LONE SURROGATE" : "CONTROL CHARACTER", short: null, kind };
  return { codePoint, hex, name: /\p{Cf}/u.test(char) ? "FORMAT CHARACTER" : "INVISIBLE CHARACTER", short: null, kind };
}

/**
 * Whether the character at `i` of `s` (a match of HIDDEN) is part of an
 * emoji that renders as one visible picture: a variation selector right
 * after a pictograph (`⚠️`, or a keycap `1️⃣`), or a joiner between two
 * pictographs (`\u{1F469}\u200D\u{1F4BB}`, woman technologist). Such text shows what it is; flagging it would only
 * teach reviewers to ignore the warning.
 */
function partOfEmoji(s: string, i: number, char: string): boolean {
  if (char === "\uFE0F" || char === "\uFE0E") {
    const prev = charBefore(s, i);
    return PICTOGRAPH.test(prev) || (/^[0-9#*]$/.test(prev) && s[i + 1] === "\u20E3");
  }
  if (char !== "\u200D") return false;
  const next = s.codePointAt(i + 1);
  if (next === undefined || !PICTOGRAPH.test(String.fromCodePoint(next))) return false;
  // The pictograph before may carry its own selector or skin tone.
  let j = i;
  for (let k = 0; k < 2; k++) {
    const c = charBefore(s, j);
    if (c !== "\uFE0F" && !EMOJI_MODIFIER.test(c)) break;
    j -= c.length;
  }
  return PICTOGRAPH.test(charBefore(s, j));
}

/** The whole code point that ends at index `i` of `s` ("" at the start). */
function charBefore(s: string, i: number): string {
  if (i <= 0) return "";
  const low = s.charCodeAt(i - 1);
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    const high = s.charCodeAt(i - 2);
    if (high >= 0xd800 && high <= 0xdbff) return s.slice(i - 2, i);
  }
  return s[i - 1];
}

export type Segment = { text: string; hidden?: undefined } | { text: string; hidden: HiddenCharacter };

/** `s` cut into visible runs and single hidden characters, in order; joining every `text` gives `s` back. */
export function splitHidden(s: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of s.matchAll(HIDDEN_ALL)) {
    const char = m[0];
    const i = m.index!;
    // A carriage return before a line feed is a line break; alone it can hide what precedes it in a terminal.
    if (char === "\n" || char === "\t" || (char === "\r" && s[i + 1] === "\n") || partOfEmoji(s, i, char)) continue;
    if (i > last) out.push({ text: s.slice(last, i) });
    out.push({ text: char, hidden: describe(char) });
    last = i + char.length;
  }
  if (last < s.length) out.push({ text: s.slice(last) });
  return out;
}

/** The hidden characters in `s`, in order (with repeats). */
export function findHidden(s: string): HiddenCharacter[] {
  if (!HIDDEN.test(s)) return [];
  return splitHidden(s).flatMap((seg) => (seg.hidden ? [seg.hidden] : []));
}

export function hasHidden(s: string): boolean {
  return findHidden(s).length > 0;
}

/** `⟨U+202E RLO⟩`: how a hidden character is written in plain text. */
export function marker(c: HiddenCharacter): string {
  return `⟨${c.hex}${c.short ? ` ${c.short}` : ""}⟩`;
}

/** `s` with every hidden character replaced by its marker (line feeds and tabs stay). */
export function escapeHidden(s: string): string {
  if (!HIDDEN.test(s)) return s;
  return splitHidden(s)
    .map((seg) => (seg.hidden ? marker(seg.hidden) : seg.text))
    .join("");
}

/** One line of plain text: line breaks and tabs become spaces, every other hidden character a marker. */
export function displayLine(s: string): string {
  return escapeHidden(s.replace(/\r\n|[\r\n\t\u2028\u2029\u0085]/g, " "));
}

/** Where hidden characters were found: a field path (`params.to`, `summary`) and which ones. */
export interface HiddenFinding {
  path: string;
  /** True when the characters are in an object key at `path`, not in its value. */
  inKey: boolean;
  /** Distinct characters, in order of first appearance. */
  characters: HiddenCharacter[];
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `params.to`, `params.items[0]`, `params["a b"]`: a path a reviewer can read, itself free of hidden characters. */
export function pathOf(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  const part = IDENTIFIER.test(key) ? `.${key}` : `[${escapeHidden(JSON.stringify(key))}]`;
  return parent ? `${parent}${part}` : part.replace(/^\./, "");
}

function distinct(chars: HiddenCharacter[]): HiddenCharacter[] {
  const seen = new Set<number>();
  return chars.filter((c) => {
    if (seen.has(c.codePoint)) return false;
    seen.add(c.codePoint);
    return true;
  });
}

/** Every string in `value` (object keys included, at any depth) that holds hidden characters, depth first in key order. */
export function scanValue(value: unknown, path: string, out: HiddenFinding[] = []): HiddenFinding[] {
  if (typeof value === "string") {
    const chars = findHidden(value);
    if (chars.length) out.push({ path, inKey: false, characters: distinct(chars) });
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) scanValue(v, pathOf(path, i), out);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const here = pathOf(path, k);
      const chars = findHidden(k);
      if (chars.length) out.push({ path: here, inKey: true, characters: distinct(chars) });
      scanValue(v, here, out);
    }
  }
  return out;
}

/** The agent-supplied text of a request that reviewers read. */
export interface ReviewedText {
  action?: string | null;
  resource?: string | null;
  summary?: string | null;
  justification?: string | null;
  params?: unknown;
  context?: unknown;
  /** What the agent reported it did. */
  outcomeDetail?: string | null;
}

/** Hidden characters anywhere a reviewer reads agent text, in the order the request page shows it. */
export function scanRequest(r: ReviewedText): HiddenFinding[] {
  const out: HiddenFinding[] = [];
  scanValue(r.summary ?? null, "summary", out);
  scanValue(r.action ?? null, "action", out);
  scanValue(r.resource ?? null, "resource", out);
  scanValue(r.justification ?? null, "justification", out);
  scanValue(r.params ?? null, "params", out);
  scanValue(r.context ?? null, "context", out);
  scanValue(r.outcomeDetail ?? null, "outcome.detail", out);
  return out;
}

/** `U+202E RIGHT-TO-LEFT OVERRIDE`. */
export const characterLabel = (c: HiddenCharacter) => `${c.hex} ${c.name}`;

/**
 * `params.to (U+202E RIGHT-TO-LEFT OVERRIDE, U+202C POP DIRECTIONAL FORMATTING);
 * summary (U+200B ZERO WIDTH SPACE)`, bounded however many there are.
 */
export function describeFindings(findings: HiddenFinding[], maxFields = 4, maxChars = 3): string {
  const parts = findings.slice(0, maxFields).map((f) => {
    const names = f.characters.slice(0, maxChars).map(characterLabel);
    const more = f.characters.length > maxChars ? `, ${f.characters.length - maxChars} more` : "";
    return `${f.path}${f.inKey ? " (key)" : ""}: ${names.join(", ")}${more}`;
  });
  const rest = findings.length - maxFields;
  return parts.join("; ") + (rest > 0 ? `; and ${rest} more field${rest === 1 ? "" : "s"}` : "");
}

/**
 * The warning every reviewer surface carries (dashboard, email, webhook
 * text), naming where and what; null when there is nothing to warn about.
 */
export function hiddenCharactersWarning(findings: HiddenFinding[]): string | null {
  if (!findings.length) return null;
  return `This request contains hidden or direction-changing characters: ${describeFindings(findings)}. What other tools display for it may differ from what is bound.`;
}
