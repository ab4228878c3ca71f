import type { FieldError } from "../errors.ts";

/**
 * Checks a request target (`/path?query`) before any route sees it: every
 * percent-encoding must be well formed and decode to valid UTF-8 without
 * NUL. Next.js answers a malformed escape in a path with a bare 500, and
 * PostgreSQL refuses NUL in text, so either would otherwise surface as a
 * server error; invalid UTF-8 would silently become U+FFFD. Returns the
 * problem found, or null.
 */
export function requestTargetProblem(target: string): FieldError | null {
  // Raw NUL and control characters never get past Node's HTTP parser; only escapes can carry them.
  if (!target.includes("%")) return null;
  const q = target.indexOf("?");
  const pathname = q === -1 ? target : target.slice(0, q);
  for (const segment of pathname.split("/")) {
    const problem = componentProblem(segment);
    if (problem) return { path: "(path)", message: problem };
  }
  if (q === -1) return null;
  for (const pair of target.slice(q + 1).split("&")) {
    const eq = pair.indexOf("=");
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const nameProblem = componentProblem(name);
    if (nameProblem) return { path: "(query)", message: nameProblem };
    const valueProblem = eq === -1 ? null : componentProblem(pair.slice(eq + 1));
    if (valueProblem) return { path: `query.${decodeURIComponent(name.replace(/\+/g, " "))}`, message: valueProblem };
  }
  return null;
}

function componentProblem(raw: string): string | null {
  if (!raw.includes("%")) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return "malformed percent-encoding or invalid UTF-8";
  }
  return decoded.includes("\u0000") ? "contains a NUL character" : null;
}
