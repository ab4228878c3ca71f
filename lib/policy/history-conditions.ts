import type { Expr } from "@bufbuild/cel-spec/cel/expr/syntax_pb.js";
import { ACTION_GLOB } from "./policy-document.ts";

/**
 * `history.count(pattern, window)` and `history.sum(pattern, name, window)` in
 * rule conditions: this agent's approved requests (by people or allowed by
 * policy; the request being decided is not one of them) whose action matches
 * `pattern`, in the last `window`.
 *
 * The arguments must be literals (`duration("24h")` for the window), so what a
 * rule set reads is known when it is compiled: evaluation prefetches exactly
 * those totals in one query (lib/history/approval-history.ts) and the CEL
 * functions only look them up (CEL evaluation is synchronous). A total that
 * was not prefetched (history unavailable) is an error: the condition fails
 * closed like any condition error.
 *
 * Precision: history is kept in 5-minute buckets, and a window starts at the
 * beginning of the bucket that holds `now - window`: it covers up to 5 minutes
 * more than asked, never less (a limit can only be stricter).
 */

export const HISTORY_BUCKET_MS = 5 * 60_000;
export const HISTORY_MIN_WINDOW_MS = 60_000;
export const HISTORY_MAX_WINDOW_MS = 31 * 86_400_000;

export interface HistoryNeed {
  kind: "count" | "sum";
  /** An action pattern as in a rule's `actions`. */
  pattern: string;
  /** The top-level numeric parameter summed; "" for a count. */
  name: string;
  windowMs: number;
}

/** The key a prefetched total is found by, at prefetch and in the CEL function. */
export const historyKey = (n: { kind: string; pattern: string; name: string; windowMs: number }) => `${n.kind}|${n.pattern}|${n.name}|${n.windowMs}`;

/** Where a window starts at `now`: bucket-aligned, so never later than `now - window`. */
export function windowStart(now: Date, windowMs: number): Date {
  return new Date(Math.floor((now.getTime() - windowMs) / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS);
}

/** The bucket an approval at `at` is counted in. */
export function bucketOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS);
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, ns: 0.000001 };

/** A CEL duration string ("24h", "1h30m", "90s", "1.5h") in milliseconds, or null when it is not one. */
export function parseDurationMs(text: string): number | null {
  const m = /^(-?)((?:\d+(?:\.\d+)?(?:h|ms|us|ns|m|s))+)$/.exec(text);
  if (!m) return text === "0" ? 0 : null;
  let ms = 0;
  for (const part of m[2].matchAll(/(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)/g)) ms += Number(part[1]) * UNIT_MS[part[2]];
  return m[1] ? -ms : ms;
}

export class HistoryArgumentError extends Error {
  constructor(
    message: string,
    readonly exprId: bigint | number,
  ) {
    super(message);
  }
}

const constString = (e: Expr | undefined): string | undefined =>
  e?.exprKind.case === "constExpr" && e.exprKind.value.constantKind.case === "stringValue" ? e.exprKind.value.constantKind.value : undefined;

/** Whether `e` is the `history` variable (the target of `history.count(…)`). */
export const isHistoryTarget = (e: Expr | undefined) => e?.exprKind.case === "identExpr" && e.exprKind.value.name === "history";

/**
 * What one `history.…(…)` call reads, from its arguments (literals only);
 * throws HistoryArgumentError with a message for the rule's author.
 */
export function historyNeedOf(call: Expr): HistoryNeed {
  if (call.exprKind.case !== "callExpr") throw new HistoryArgumentError("not a history call", call.id);
  const { function: fn, args } = call.exprKind.value;
  if (fn !== "count" && fn !== "sum") throw new HistoryArgumentError(`history has no function '${fn}' (use history.count or history.sum)`, call.id);
  const usage = fn === "count" ? 'history.count("payments.*", duration("24h"))' : 'history.sum("payments.refund", "amount", duration("24h"))';
  const want = fn === "count" ? 2 : 3;
  if (args.length !== want) throw new HistoryArgumentError(`history.${fn} takes ${want} arguments, as in ${usage}`, call.id);
  const pattern = constString(args[0]);
  if (pattern === undefined) throw new HistoryArgumentError(`the pattern of history.${fn} must be a string literal, as in ${usage}`, args[0].id);
  if (!ACTION_GLOB.test(pattern) || pattern.length > 128) {
    throw new HistoryArgumentError(`'${pattern}' is not an action pattern (an action, a prefix ending in .*, or *)`, args[0].id);
  }
  let name = "";
  if (fn === "sum") {
    const n = constString(args[1]);
    if (n === undefined || n === "")
      throw new HistoryArgumentError(`the parameter name of history.sum must be a non-empty string literal, as in ${usage}`, args[1].id);
    if (n.length > 128) throw new HistoryArgumentError("the parameter name of history.sum is longer than 128 characters", args[1].id);
    name = n;
  }
  const w = args[want - 1];
  const text =
    w.exprKind.case === "callExpr" && w.exprKind.value.function === "duration" && !w.exprKind.value.target && w.exprKind.value.args.length === 1
      ? constString(w.exprKind.value.args[0])
      : undefined;
  if (text === undefined) throw new HistoryArgumentError(`the window of history.${fn} must be a literal duration, as in ${usage}`, w.id);
  const windowMs = parseDurationMs(text);
  if (windowMs === null) throw new HistoryArgumentError(`'${text}' is not a duration (such as "90m", "24h" or "168h")`, w.id);
  if (windowMs < HISTORY_MIN_WINDOW_MS || windowMs > HISTORY_MAX_WINDOW_MS || !Number.isInteger(windowMs)) {
    throw new HistoryArgumentError(`the window of history.${fn} must be between 1m and 744h (31 days) in whole milliseconds, not ${text}`, w.id);
  }
  return { kind: fn, pattern, name, windowMs };
}

/** Calls `visit` with each `history.…(…)` call in a parsed condition, outermost first (not inside one: its arguments are literals). */
export function forEachHistoryCall(root: Expr, visit: (call: Expr) => void): void {
  const walk = (e: Expr | undefined) => {
    if (!e) return;
    const k = e.exprKind;
    switch (k.case) {
      case "callExpr":
        if (isHistoryTarget(k.value.target)) return visit(e);
        walk(k.value.target);
        for (const a of k.value.args) walk(a);
        return;
      case "selectExpr":
        return walk(k.value.operand);
      case "listExpr":
        for (const el of k.value.elements) walk(el);
        return;
      case "structExpr":
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === "mapKey") walk(entry.keyKind.value);
          walk(entry.value);
        }
        return;
      case "comprehensionExpr":
        for (const part of [k.value.iterRange, k.value.accuInit, k.value.loopCondition, k.value.loopStep, k.value.result]) walk(part);
        return;
    }
  };
  walk(root);
}

/** Every history call in a parsed condition (checked conditions only: throws on a malformed one). */
export function historyNeedsIn(root: Expr): HistoryNeed[] {
  const found = new Map<string, HistoryNeed>();
  forEachHistoryCall(root, (call) => {
    const need = historyNeedOf(call);
    found.set(historyKey(need), need);
  });
  return [...found.values()];
}

/** The numeric top-level parameters of approved params, as summed by history.sum (finite numbers only). */
export function summedParams(params: Record<string, unknown>): [string, number][] {
  return Object.entries(params).filter((e): e is [string, number] => e[0] !== "" && e[0].length <= 128 && typeof e[1] === "number" && Number.isFinite(e[1]));
}

/** `*` matches everything; `prefix.*` matches `prefix.anything`; anything else is exact (as rule actions). */
export function patternLike(pattern: string): string {
  if (pattern === "*") return "%";
  const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
  return pattern.endsWith(".*") ? `${escapeLike(pattern.slice(0, -1))}%` : escapeLike(pattern);
}
