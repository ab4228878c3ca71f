import fc from "fast-check";
import { canonicalJson } from "../../lib/crypto.ts";

/*
 * JSON values and the many texts that spell each of them, for property tests
 * of payload binding: re-encodings must parse to a value that is equal under
 * RFC 8785; mutations must not.
 */

/** A small seeded PRNG (mulberry32), so one fast-check integer drives a whole re-encoding. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)];

function hasProtoKey(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(hasProtoKey);
  return Object.keys(value).some((k) => k === "__proto__" || hasProtoKey((value as Record<string, unknown>)[k]));
}

const text = fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !s.includes("\u0000"));
const number = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 100, 1e21, 1e-7, 0.1, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE),
);
const leaf = fc.oneof(text, number, fc.boolean(), fc.constant(null));
const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", maxDepth: 3 }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(text, tie("value"), { maxKeys: 5 }),
}));

/** Params as agents send them: a JSON object of a few levels, with any Unicode text (no NUL, no `__proto__`: both have their own tests). */
export const paramsArbitrary: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(text, jsonValue, { maxKeys: 6 }).filter((v) => !hasProtoKey(v));

/** Spellings JSON allows for the same double. */
function numberSpellings(n: number): string[] {
  if (Object.is(n, -0) || n === 0) return ["0", "-0", "0.0", "0e0", "-0.0E+5", "0.000e-3"];
  const shortest = String(n);
  const out = [shortest, n.toExponential(), n.toExponential().replace("e+", "E"), n.toPrecision(17), n.toPrecision(17).toUpperCase()];
  if (/^-?\d+$/.test(shortest)) {
    out.push(`${shortest}.0`, `${shortest}.000`, `${shortest}e0`, `${shortest}E-0`);
    if (shortest.endsWith("00")) out.push(`${shortest.slice(0, -2)}e2`, `${shortest.slice(0, -2)}E+2`);
    if (Math.abs(n) < 1e6) out.push(`${shortest}0e-1`, `${shortest}00E-2`);
  }
  return out.filter((s) => Number(s) === n);
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
const hex4 = (unit: number, upper: boolean) => {
  const h = unit.toString(16).padStart(4, "0");
  return `\\u${upper ? h.toUpperCase() : h}`;
};

/** A string literal with each character written raw, as a `\uXXXX` escape (either case), or as a short escape. */
function stringLiteral(s: string, rand: () => number): string {
  let out = '"';
  for (const ch of s) {
    const units = Array.from({ length: ch.length }, (_, i) => ch.charCodeAt(i));
    const mustEscape = ch in SHORT_ESCAPES || units[0] < 0x20;
    const r = rand();
    if (r < 0.3) out += units.map((u) => hex4(u, rand() < 0.5)).join("");
    else if (mustEscape) out += SHORT_ESCAPES[ch] ?? hex4(units[0], false);
    else if (ch === "/" && r < 0.6) out += "\\/";
    else out += ch;
  }
  return `${out}"`;
}

const WHITESPACE = ["", "", "", " ", "\n", "\t", "\r\n  ", "  "];

export interface Injection {
  /** A repeated member name in one object, or a `__proto__` member. */
  kind: "duplicate" | "proto";
  /** The path the parser must name. */
  path?: string;
}

/**
 * Writes `value` as JSON text in a random spelling: member order,
 * whitespace, number spellings and string escapes vary; the value does not.
 * With `inject`, one object (chosen at random) also gets a duplicate member
 * name or a `__proto__` member, and `inject.path` is set to the path a strict
 * parser must name.
 */
export function reencode(value: unknown, rand: () => number, inject?: Injection): string {
  const objects = countObjects(value);
  const target = inject && objects > 0 ? Math.floor(rand() * objects) : -1;
  let seen = 0;
  const ws = () => pick(rand, WHITESPACE);
  const join = (path: string | null, key: string | number) => (path === null ? String(key) : `${path}.${key}`);
  const write = (v: unknown, path: string | null): string => {
    if (v === null) return "null";
    if (typeof v === "boolean") return String(v);
    if (typeof v === "number") return pick(rand, numberSpellings(v));
    if (typeof v === "string") return stringLiteral(v, rand);
    if (Array.isArray(v)) return `[${ws()}${v.map((item, i) => write(item, join(path, i))).join(`${ws()},${ws()}`)}${ws()}]`;
    const obj = v as Record<string, unknown>;
    const isTarget = seen++ === target;
    const keys = Object.keys(obj);
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [keys[i], keys[j]] = [keys[j], keys[i]];
    }
    const members = keys.map((k) => `${stringLiteral(k, rand)}${ws()}:${ws()}${write(obj[k], join(path, k))}`);
    if (isTarget && inject) {
      // Added last, so the injected member is the first (and only) thing a strict parser can refuse.
      if (inject.kind === "proto") {
        members.push(`${stringLiteral("__proto__", rand)}:${ws()}${pick(rand, ['{"admin":true}', "null", "1", "[]"])}`);
        inject.path = join(path, "__proto__");
      } else {
        const key = keys.length > 0 ? pick(rand, keys) : "k";
        if (keys.length === 0) members.push(`"k":0`);
        members.push(`${stringLiteral(key, rand)}:${ws()}${pick(rand, ["50", '"x"', "null", "{}"])}`);
        inject.path = join(path, key);
      }
    }
    return `{${ws()}${members.join(`${ws()},${ws()}`)}${ws()}}`;
  };
  return ws() + write(value, null) + ws();
}

function countObjects(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  if (Array.isArray(v)) return v.reduce((n: number, item) => n + countObjects(item), 0);
  return 1 + Object.values(v).reduce((n: number, item) => n + countObjects(item), 0);
}

/**
 * A value that differs from `value` under RFC 8785 by one change somewhere:
 * a changed leaf, a changed type, an added or removed member or element.
 */
export function mutate(value: Record<string, unknown>, rand: () => number): Record<string, unknown> {
  const copy = structuredClone(value);
  const containers: (Record<string, unknown> | unknown[])[] = [];
  const collect = (v: unknown) => {
    if (v === null || typeof v !== "object") return;
    containers.push(v as Record<string, unknown> | unknown[]);
    for (const child of Object.values(v)) collect(child);
  };
  collect(copy);
  const c = pick(rand, containers);
  const keys = Array.isArray(c) ? c.map((_, i) => i) : Object.keys(c);
  const r = rand();
  if (keys.length === 0 || r < 0.2) {
    // Add a member or element.
    if (Array.isArray(c)) c.splice(Math.floor(rand() * (c.length + 1)), 0, pick(rand, [0, "", null, false, {}]));
    else c[freshKey(c, rand)] = pick(rand, [0, "", null, false, {}]);
  } else {
    const k = pick<string | number>(rand, keys) as never;
    if (r < 0.4) {
      // Remove it.
      if (Array.isArray(c)) c.splice(k, 1);
      else delete c[k];
    } else if (r < 0.5 && !Array.isArray(c)) {
      // Rename it.
      const v = c[k];
      delete c[k];
      c[freshKey(c, rand, k)] = v;
    } else {
      (c as Record<string, unknown>)[k] = changed((c as Record<string, unknown>)[k], rand);
    }
  }
  if (canonicalJson(copy) === canonicalJson(value)) throw new Error(`mutation left the value unchanged: ${canonicalJson(value)}`);
  return copy;
}

function freshKey(obj: Record<string, unknown>, rand: () => number, base = ""): string {
  let k = base + pick(rand, ["x", "amount", "é", "A", " "]);
  while (Object.hasOwn(obj, k)) k += "_";
  return k;
}

function changed(v: unknown, rand: () => number): unknown {
  const typeChange = rand() < 0.4;
  if (v === null) return typeChange ? pick(rand, [0, "", false, {}, []]) : "null";
  if (typeof v === "boolean") return typeChange ? String(v) : !v;
  if (typeof v === "number") return typeChange ? String(v) : v === 0 ? 1 : 0;
  if (typeof v === "string") return typeChange ? (Number.isFinite(Number(v)) && v.trim() !== "" ? Number(v) : null) : v + pick(rand, ["x", " ", "\u200b", "0"]);
  if (Array.isArray(v)) return typeChange ? Object.fromEntries(v.map((x, i) => [String(i), x])) : [...v, null];
  return typeChange ? Object.values(v as object) : { ...(v as object), [freshKey(v as Record<string, unknown>, rand)]: null };
}
