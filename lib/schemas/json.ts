import { z } from "./zod.ts";

const MAX_DEPTH = 32;

/**
 * Agent-supplied JSON must survive PostgreSQL (`jsonb` refuses NUL) and
 * canonicalisation (RFC 8785 refuses non-finite numbers), and stay shallow
 * enough to render. Returns the first problem found, or null.
 */
export function jsonProblem(value: unknown, depth = 0): string | null {
  if (depth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
  if (typeof value === "string") return stringProblem(value);
  if (typeof value === "number") return Number.isFinite(value) ? null : "contains a number out of range";
  if (value === null || typeof value === "boolean") return null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const p = jsonProblem(item, depth + 1);
      if (p) return p;
    }
    return null;
  }
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const keyProblem = stringProblem(k);
      if (keyProblem) return `${keyProblem} in a key`;
      const p = jsonProblem(v, depth + 1);
      if (p) return p;
    }
    return null;
  }
  return "contains a value that is not JSON";
}

/** PostgreSQL text refuses NUL, and UTF-8 cannot encode a lone UTF-16 surrogate. */
export function stringProblem(s: string): string | null {
  if (s.includes("\u0000")) return "contains a NUL character";
  if (!s.isWellFormed()) return "contains an unpaired UTF-16 surrogate";
  return null;
}

/** Text an agent sends: length limits and only what PostgreSQL can store. */
export function text(max: number, min = 0) {
  return z
    .string()
    .min(min)
    .max(max)
    .superRefine((s, ctx) => {
      const problem = stringProblem(s);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
}

export const jsonObject = z
  .record(z.string(), z.unknown())
  .superRefine((value, ctx) => {
    const problem = jsonProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi({ type: "object", additionalProperties: true });

/** Any JSON object, in answers or loosely checked input; shown in OpenAPI as `additionalProperties: true`. */
export const anyObject = z.record(z.string(), z.unknown()).openapi({ type: "object", additionalProperties: true });
