import "server-only";
import { celEnv, celMap, celMethod, CelScalar, isCelError, mapType, objectType, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import type { Expr, Expr_Call, ParsedExpr } from "@bufbuild/cel-spec/cel/expr/syntax_pb.js";
import { timestampFromDate, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  forEachHistoryCall,
  type HistoryNeed,
  HistoryArgumentError,
  historyKey,
  historyNeedOf,
  historyNeedsIn,
  isHistoryTarget,
} from "./history-conditions.ts";

/**
 * Rule conditions in CEL over `{ action, resource, params, context, agent, now, risk }`.
 *
 * @bufbuild/cel parses and evaluates; its type checker is not public (and in
 * 0.6 does not handle calls yet), so `checkCondition` is a small checker of
 * our own over the parsed tree: it knows the variables' shapes, the operators
 * and the standard functions, treats request-supplied data (`params`,
 * `context`) as dynamic, and rejects what can never work (an undeclared name,
 * `action > 5`, a string result).
 */

const dynMap = mapType(CelScalar.STRING, CelScalar.DYN);

// `history.count(…)` / `history.sum(…)` read the `history` variable: a map of
// the totals prefetched for this evaluation (history-conditions.ts). Their
// arguments are literals, so `compileCondition` turns each call into
// `history.total("<its historyKey>")`: one lookup when evaluated, no window
// parsed per call. A total that is not there (history unavailable) is an
// error: fail closed.
const historyFuncs = [
  celMethod("total", dynMap, [CelScalar.STRING], CelScalar.DYN, function (key) {
    const value = this.get(key);
    if (value === undefined) throw new Error("this agent's history is unavailable");
    return value as bigint | number;
  }),
];

/** Turns each history call of a checked condition into its prefetched total's lookup (see `historyFuncs`). */
function lookUpHistoryTotals(root: Expr): void {
  forEachHistoryCall(root, (e) => {
    const call = e.exprKind.value as Expr_Call;
    const key = call.args[0];
    if (key.exprKind.case !== "constExpr") throw new Error("a history call's pattern is a literal");
    key.exprKind.value.constantKind = { case: "stringValue", value: historyKey(historyNeedOf(e)) };
    call.function = "total";
    call.args = [key];
  });
}
const env = celEnv({
  variables: {
    action: CelScalar.STRING,
    resource: CelScalar.DYN,
    params: dynMap,
    context: dynMap,
    agent: dynMap,
    now: objectType(TimestampSchema),
    risk: dynMap,
    history: dynMap,
  },
  funcs: [...strings, ...historyFuncs],
});

export interface ConditionVars {
  action: string;
  resource: string | null;
  params: Record<string, unknown>;
  context: Record<string, unknown>;
  agent: { id: string; name: string; tags: string[]; trust_level: string; owner: string | null };
  now: Date;
  /**
   * The request's risk signals (lib/risk): flag codes and the 0–100 score.
   * Null when not assessed: then `risk.flags` and `risk.score` are errors, so
   * a condition on them fails closed (never allows).
   */
  risk: { score: number; flags: string[] } | null;
}

/** What a compiled condition runs on: the variables, prepared once per evaluation and shared by every rule's condition. */
export interface ConditionBindings {
  readonly bindings: Record<string, unknown>;
}

// The evaluator wraps a plain object on every variable access; wrapping once
// here is what keeps 200 rules' conditions cheap per request.
const asMap = (o: object) => celMap(new Map(Object.entries(o)));

/**
 * Totals of the agent's history by `historyKey`, prefetched for the conditions
 * that read them (counts as bigint, sums as number); null when unavailable.
 */
export type HistoryTotals = ReadonlyMap<string, bigint | number> | null;

export function conditionBindings(vars: ConditionVars, history: HistoryTotals = null): ConditionBindings {
  return {
    bindings: {
      action: vars.action,
      resource: vars.resource,
      params: asMap(vars.params),
      // Always present, so `context.on_behalf_of_verified` is false (not an error) without a token.
      context: asMap({ on_behalf_of_verified: false, ...vars.context }),
      agent: asMap(vars.agent),
      now: timestampFromDate(vars.now),
      risk: asMap(vars.risk ? { score: BigInt(vars.risk.score), flags: vars.risk.flags } : {}),
      history: celMap(new Map(history ?? [])),
    },
  };
}

/** A compiled condition: true, false, or an error (missing field, bad operand at run time). */
export type ConditionProgram = (vars: ConditionBindings) => { ok: true; value: boolean } | { ok: false; error: string };

export interface ConditionError {
  message: string;
  column: number;
}

/** Parses and type-checks a condition; null when it is valid. */
export function checkCondition(source: string): ConditionError | null {
  let parsed: ParsedExpr & { expr: Expr };
  try {
    parsed = parse(source);
  } catch (err) {
    const m = /^<input>:(\d+):(\d+): (.*)$/s.exec((err as Error).message);
    return m
      ? { message: `${m[3]} at ${lineColumn(source, Number(m[1]), Number(m[2]))}`, column: Number(m[2]) }
      : { message: (err as Error).message, column: 1 };
  }
  try {
    const type = new Checker().check(parsed.expr, new Map());
    if (type !== "bool" && type !== "dyn") throw new CheckError(`a condition must be true or false, but this one is a ${type}`, parsed.expr.id);
    return null;
  } catch (err) {
    if (!(err instanceof CheckError) && !(err instanceof HistoryArgumentError)) throw err;
    const offset = parsed.sourceInfo?.positions[Number(err.exprId)] ?? 0;
    const { line, column } = position(source, offset);
    return { message: `${err.message} at ${line > 1 ? `line ${line}, ` : ""}column ${column}`, column };
  }
}

/** What a checked condition reads of the agent's history (nothing for most). */
export function conditionHistoryNeeds(source: string): HistoryNeed[] {
  return historyNeedsIn(parse(source).expr!);
}

/** Compiles a condition checked by `checkCondition` (throws on a syntax error). */
export function compileCondition(source: string): ConditionProgram {
  const parsed = parse(source);
  if (parsed.expr) lookUpHistoryTotals(parsed.expr);
  const run = plan(env, parsed);
  return (vars) => {
    let result: unknown;
    try {
      result = run(vars.bindings as never);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    if (isCelError(result)) return { ok: false, error: result.message };
    if (typeof result !== "boolean") return { ok: false, error: "the condition did not produce true or false" };
    return { ok: true, value: result };
  };
}

function lineColumn(source: string, line: number, column: number): string {
  return source.includes("\n") ? `line ${line}, column ${column}` : `column ${column}`;
}

function position(source: string, offset: number): { line: number; column: number } {
  // The parser places operators at the whitespace before them.
  while (offset < source.length && /\s/.test(source[offset])) offset++;
  const before = source.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

type T =
  | "string"
  | "int"
  | "uint"
  | "double"
  | "bool"
  | "null"
  | "bytes"
  | "list"
  | "map"
  | "timestamp"
  | "duration"
  | "type"
  | "dyn"
  | "agent"
  | "risk"
  | "history";

class CheckError extends Error {
  constructor(
    message: string,
    readonly exprId: bigint | number,
  ) {
    super(message);
  }
}

const VARIABLES: Record<string, T> = {
  action: "string",
  resource: "dyn",
  params: "map",
  context: "map",
  agent: "agent",
  now: "timestamp",
  risk: "risk",
  history: "history",
};
const AGENT_FIELDS: Record<string, T> = { id: "string", name: "string", tags: "list", trust_level: "string", owner: "dyn" };
const RISK_FIELDS: Record<string, T> = { flags: "list", score: "int" };
const NUMERIC = new Set<T>(["int", "uint", "double"]);
const ORDERED = new Set<T>(["int", "uint", "double", "string", "bytes", "bool", "timestamp", "duration"]);

/** Functions (global or as methods) and their result types; arguments are checked where it matters. */
const FUNCTIONS: Record<string, T> = {
  size: "int",
  int: "int",
  uint: "uint",
  double: "double",
  string: "string",
  bool: "bool",
  bytes: "bytes",
  timestamp: "timestamp",
  duration: "duration",
  type: "type",
  dyn: "dyn",
  startsWith: "bool",
  endsWith: "bool",
  contains: "bool",
  matches: "bool",
  getFullYear: "int",
  getMonth: "int",
  getDate: "int",
  getDayOfMonth: "int",
  getDayOfWeek: "int",
  getDayOfYear: "int",
  getHours: "int",
  getMinutes: "int",
  getSeconds: "int",
  getMilliseconds: "int",
  // strings extension
  charAt: "string",
  indexOf: "int",
  lastIndexOf: "int",
  lowerAscii: "string",
  upperAscii: "string",
  replace: "string",
  split: "list",
  substring: "string",
  trim: "string",
  join: "string",
  quote: "string",
};
const STRING_METHODS = new Set([
  "startsWith",
  "endsWith",
  "contains",
  "matches",
  "charAt",
  "indexOf",
  "lastIndexOf",
  "lowerAscii",
  "upperAscii",
  "replace",
  "split",
  "substring",
  "trim",
]);

class Checker {
  check(e: Expr, scope: Map<string, T>): T {
    const k = e.exprKind;
    switch (k.case) {
      case "constExpr": {
        const c = k.value.constantKind.case;
        return c === "int64Value"
          ? "int"
          : c === "uint64Value"
            ? "uint"
            : c === "doubleValue"
              ? "double"
              : c === "stringValue"
                ? "string"
                : c === "boolValue"
                  ? "bool"
                  : c === "bytesValue"
                    ? "bytes"
                    : c === "nullValue"
                      ? "null"
                      : "dyn";
      }
      case "identExpr": {
        const t = scope.get(k.value.name) ?? VARIABLES[k.value.name];
        if (!t) throw new CheckError(`undeclared reference to '${k.value.name}' (use action, resource, params, context, agent, now or risk)`, e.id);
        if (t === "history") throw new CheckError("history is used only as history.count(pattern, window) or history.sum(pattern, name, window)", e.id);
        return t;
      }
      case "selectExpr": {
        const operand = this.check(k.value.operand!, scope);
        const field = k.value.field;
        if (k.value.testOnly) return "bool";
        if (operand === "agent" || operand === "risk") {
          const fields = operand === "agent" ? AGENT_FIELDS : RISK_FIELDS;
          const t = fields[field];
          if (!t) throw new CheckError(`${operand} has no field '${field}' (it has ${Object.keys(fields).join(", ")})`, e.id);
          return t;
        }
        if (operand === "map" || operand === "dyn") return "dyn";
        throw new CheckError(`a ${operand} has no field '${field}'`, e.id);
      }
      case "listExpr":
        for (const el of k.value.elements) this.check(el, scope);
        return "list";
      case "structExpr":
        if (k.value.messageName) throw new CheckError(`unknown type '${k.value.messageName}'`, e.id);
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === "mapKey") this.check(entry.keyKind.value, scope);
          if (entry.value) this.check(entry.value, scope);
        }
        return "map";
      case "comprehensionExpr": {
        const c = k.value;
        const range = this.check(c.iterRange!, scope);
        if (!["list", "map", "dyn"].includes(range)) throw new CheckError(`cannot iterate over a ${range}`, c.iterRange!.id);
        const inner = new Map(scope);
        inner.set(c.iterVar, "dyn");
        if (c.iterVar2) inner.set(c.iterVar2, "dyn");
        inner.set(c.accuVar, this.check(c.accuInit!, scope));
        this.check(c.loopCondition!, inner);
        inner.set(c.accuVar, this.check(c.loopStep!, inner) === "list" ? "list" : inner.get(c.accuVar)!);
        return this.check(c.result!, inner);
      }
      case "callExpr":
        return this.call(e, k.value.function, k.value.target, k.value.args, scope);
      default:
        throw new CheckError("unsupported expression", e.id);
    }
  }

  private call(e: Expr, fn: string, target: Expr | undefined, args: Expr[], scope: Map<string, T>): T {
    if (isHistoryTarget(target) && !scope.has("history")) return historyNeedOf(e).kind === "count" ? "int" : "double";
    const types = args.map((a) => this.check(a, scope));
    const [a, b] = types;
    const known = (t: T) => t !== "dyn";
    const mismatch = (op: string) => new CheckError(`'${op}' cannot be applied to ${a} and ${b}`, e.id);
    switch (fn) {
      case "_&&_":
      case "_||_":
        for (const [i, t] of types.entries())
          if (known(t) && t !== "bool") throw new CheckError(`'${fn.slice(1, -1)}' needs true/false operands, not a ${t}`, args[i].id);
        return "bool";
      case "!_":
        if (known(a) && a !== "bool") throw new CheckError(`'!' needs a true/false operand, not a ${a}`, e.id);
        return "bool";
      case "_==_":
      case "_!=_":
        if (known(a) && known(b) && a !== b && a !== "null" && b !== "null" && !(NUMERIC.has(a) && NUMERIC.has(b))) throw mismatch(fn.slice(1, -1));
        return "bool";
      case "_<_":
      case "_<=_":
      case "_>_":
      case "_>=_":
        if ((known(a) && !ORDERED.has(a)) || (known(b) && !ORDERED.has(b))) throw mismatch(fn.slice(1, -1));
        if (known(a) && known(b) && a !== b && !(NUMERIC.has(a) && NUMERIC.has(b))) throw mismatch(fn.slice(1, -1));
        return "bool";
      case "_+_":
      case "_-_":
      case "_*_":
      case "_/_":
      case "_%_":
        return this.arithmetic(fn.slice(1, -1), a, b, mismatch);
      case "-_":
        if (known(a) && !NUMERIC.has(a) && a !== "duration") throw new CheckError(`cannot negate a ${a}`, e.id);
        return a;
      case "_?_:_":
        if (known(a) && a !== "bool") throw new CheckError(`the condition of '?:' must be true/false, not a ${a}`, args[0].id);
        return types[1] === types[2] ? types[1] : "dyn";
      case "_[_]":
        if (known(a) && a !== "list" && a !== "map") throw new CheckError(`a ${a} cannot be indexed`, e.id);
        if (a === "list" && known(b) && b !== "int" && b !== "uint") throw new CheckError(`a list index must be an int, not a ${b}`, args[1].id);
        return "dyn";
      case "@in":
        if (known(b) && b !== "list" && b !== "map") throw new CheckError(`'in' needs a list or map on the right, not a ${b}`, args[1].id);
        return "bool";
      case "@not_strictly_false":
        return "bool";
    }
    if (fn.startsWith("@")) return "dyn";
    const result = FUNCTIONS[fn];
    if (!result) throw new CheckError(`unknown function '${fn}'`, e.id);
    if (target) {
      const t = this.check(target, scope);
      if (STRING_METHODS.has(fn) && known(t) && t !== "string") throw new CheckError(`'${fn}' applies to strings, not to a ${t}`, e.id);
      if (fn.startsWith("get") && known(t) && t !== "timestamp" && t !== "duration") throw new CheckError(`'${fn}' applies to timestamps, not to a ${t}`, e.id);
      if (fn === "join" && known(t) && t !== "list") throw new CheckError(`'join' applies to lists, not to a ${t}`, e.id);
      for (const [i, argType] of types.entries()) {
        if (STRING_METHODS.has(fn) && ["startsWith", "endsWith", "contains", "matches"].includes(fn) && known(argType) && argType !== "string") {
          throw new CheckError(`'${fn}' needs a string argument, not a ${argType}`, args[i].id);
        }
      }
    } else if (fn === "size" && known(a) && !["string", "bytes", "list", "map"].includes(a)) {
      throw new CheckError(`size() applies to strings, lists and maps, not to a ${a}`, e.id);
    } else if ((fn === "timestamp" || fn === "duration") && known(a) && a !== "string" && a !== fn && !(fn === "timestamp" && a === "int")) {
      throw new CheckError(`${fn}() needs a string, not a ${a}`, e.id);
    }
    return result;
  }

  private arithmetic(op: string, a: T, b: T, mismatch: (op: string) => CheckError): T {
    if (a === "dyn" || b === "dyn") {
      const other = a === "dyn" ? b : a;
      if (other !== "dyn" && !NUMERIC.has(other) && !["string", "list", "bytes", "timestamp", "duration"].includes(other)) throw mismatch(op);
      return "dyn";
    }
    if (NUMERIC.has(a) && a === b) return a;
    if (op === "+" && a === b && ["string", "list", "bytes", "duration"].includes(a)) return a;
    if (op === "+" && ((a === "timestamp" && b === "duration") || (a === "duration" && b === "timestamp"))) return "timestamp";
    if (op === "-" && a === "timestamp" && b === "duration") return "timestamp";
    if (op === "-" && a === b && (a === "timestamp" || a === "duration")) return "duration";
    throw mismatch(op);
  }
}
