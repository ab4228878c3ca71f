import { parse, type MemberNode, type ValueNode } from "@humanwhocodes/momoa";
import { AppError } from "../errors.ts";

/** Deeper than any body we accept (params allow 32 levels, inside the body's own object). */
const MAX_DEPTH = 64;

/**
 * Parses a JSON text strictly (API.md, contract 1.1): a duplicate member name
 * at any depth, a `__proto__` member and a lone surrogate (raw or `\ud800`)
 * are refused with 422 `validation_failed` naming the path, so nothing an
 * agent sent is dropped, merged or replaced before it is hashed. JSON.parse
 * cannot do this: it keeps the last duplicate silently.
 */
export function parseStrictJson(text: string): unknown {
  const fast = fastPath(text);
  return fast ? fast.value : slowPath(text);
}

/**
 * The common case, cheaply: a text that is exactly `JSON.stringify` of what
 * JSON.parse made of it cannot hold a duplicate name (the value has none to
 * serialise), nor an escape JSON.stringify would not write. Texts that could
 * hold `__proto__` or a lone surrogate escape, or nest too deep, take the AST
 * path, which also names the offending path. Returns undefined to mean "not
 * proven here", never to mean "refused".
 */
function fastPath(text: string): { value: unknown } | undefined {
  if (text.includes("__proto__") || text.includes("\\ud")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
    if (tooDeep(value, 0) || JSON.stringify(value) !== text) return undefined;
  } catch {
    return undefined;
  }
  return { value };
}

function tooDeep(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (depth >= MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (tooDeep(item, depth + 1)) return true;
  } else {
    for (const key in value) if (tooDeep((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

function slowPath(text: string): unknown {
  let body: ValueNode;
  try {
    body = parse(text, { mode: "json" }).body;
  } catch (err) {
    // momoa recurses; a body nested thousands deep overflows the stack before our own depth check can refuse it.
    const message = err instanceof RangeError ? `nested deeper than ${MAX_DEPTH} levels` : `malformed JSON: ${(err as Error).message}`;
    throw refused("(body)", message);
  }
  return build(body, text, null, 0);
}

function refused(path: string, message: string): AppError {
  return new AppError("validation_failed", `the body is not acceptable JSON: ${message}`, { errors: [{ path, message }] });
}

/** The path of a member or element; `null` is the body itself (a member named "" still shows). */
function join(path: string | null, key: string | number): string {
  return path === null ? String(key) : `${path}.${key}`;
}

function build(node: ValueNode, text: string, path: string | null, depth: number): unknown {
  switch (node.type) {
    case "String":
      return str(node.value, node, text, path ?? "(body)");
    case "Number":
    case "Boolean":
      return node.value;
    case "Null":
      return null;
    case "Array": {
      if (depth >= MAX_DEPTH) throw refused(path ?? "(body)", `nested deeper than ${MAX_DEPTH} levels`);
      const out = new Array<unknown>(node.elements.length);
      for (let i = 0; i < node.elements.length; i++) out[i] = build(node.elements[i].value, text, join(path, i), depth + 1);
      return out;
    }
    case "Object": {
      if (depth >= MAX_DEPTH) throw refused(path ?? "(body)", `nested deeper than ${MAX_DEPTH} levels`);
      const out: Record<string, unknown> = {};
      for (const member of node.members) {
        const key = memberName(member, text, path);
        const at = join(path, key);
        if (key === "__proto__") throw refused(at, "__proto__ is not allowed as a member name");
        if (Object.hasOwn(out, key)) throw refused(at, "duplicate member name");
        // `__proto__` is refused above and is the only name an assignment to a plain object treats specially.
        out[key] = build(member.value, text, at, depth + 1);
      }
      return out;
    }
    default:
      // JSON5 literals (NaN, Infinity) cannot appear in "json" mode.
      throw refused(path ?? "(body)", "not a JSON value");
  }
}

function memberName(member: MemberNode, text: string, path: string | null): string {
  if (member.name.type !== "String") throw refused(path ?? "(body)", "member names must be strings");
  return str(member.name.value, member.name, text, join(path, member.name.value));
}

// momoa accepts raw control characters inside strings, which JSON does not.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/;

function str(value: string, node: { loc: { start: { offset: number }; end: { offset: number } } }, text: string, path: string): string {
  if (!value.isWellFormed()) throw refused(path, "lone UTF-16 surrogate");
  // Only a value holding a control character can have come from a raw one; check its source then.
  if (CONTROL.test(value) && CONTROL.test(text.slice(node.loc.start.offset, node.loc.end.offset))) {
    throw refused(path, "unescaped control character in a string");
  }
  return value;
}
