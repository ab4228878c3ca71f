import "server-only";
import { readJson, parseWith, readQuery } from "./body.ts";
import { onPeopleLane } from "../db.ts";
import { personServed } from "../limits/people-first.ts";
import { type Admission, admitCall, UNLIMITED } from "../limits/admission.ts";
import { authenticateCaller } from "./callers.ts";
import type { AnyRoute } from "./define-route.ts";
import { problem, toProblem } from "./problem.ts";

type Segment = { literal: string } | { param: string };

interface Compiled {
  route: AnyRoute;
  segments: Segment[];
}

export interface Match {
  route: AnyRoute;
  params: Record<string, string>;
}

function compile(route: AnyRoute): Compiled {
  const segments = route.path
    .split("/")
    .slice(1)
    .map((s): Segment => (s.startsWith("{") && s.endsWith("}") ? { param: s.slice(1, -1) } : { literal: s }));
  return { route, segments };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // lib/http/request-target.ts refuses undecodable paths before routing; this is only a guard
  }
}

/**
 * Dispatches Web requests to the route table. Paths without parameters are
 * one map lookup; the rest are compared segment by segment (a few dozen
 * routes). A known path with another method is 405 with `Allow`.
 */
export class Router {
  private readonly exact = new Map<string, Map<string, AnyRoute>>();
  private readonly templated: Compiled[] = [];

  constructor(routes: readonly AnyRoute[]) {
    const seen = new Set<string>();
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) throw new Error(`route defined twice: ${key}`);
      seen.add(key);
      if (route.path.includes("{")) this.templated.push(compile(route));
      else {
        const byMethod = this.exact.get(route.path) ?? new Map<string, AnyRoute>();
        byMethod.set(route.method, route);
        this.exact.set(route.path, byMethod);
      }
    }
  }

  /** The route for a method and path, its decoded parameters, or the methods the path allows (empty: no such path). */
  match(method: string, pathname: string): Match | { allow: string[] } {
    const byMethod = this.exact.get(pathname);
    if (byMethod) {
      const route = byMethod.get(method === "HEAD" ? "GET" : method);
      return route ? { route, params: {} } : { allow: [...byMethod.keys()] };
    }
    const parts = pathname.split("/").slice(1);
    const allow: string[] = [];
    for (const c of this.templated) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const s = c.segments[i];
        if ("literal" in s) ok = s.literal === parts[i];
        else if (parts[i] === "") ok = false;
        else params[s.param] = decodeSegment(parts[i]);
      }
      if (!ok) continue;
      if (c.route.method === method || (method === "HEAD" && c.route.method === "GET")) return { route: c.route, params };
      allow.push(c.route.method);
    }
    return { allow };
  }
}

/** Calls from the untrusted side (agents, executors redeeming grants): admitted under the overload limits, on the agents' pool. */
const fromMachines = (route: AnyRoute) => route.access === "agent" || (route.access === "public" && route.method !== "GET");

/**
 * Runs one route: the call is admitted (agents' and executors' calls under
 * the overload limits; people's on their own connection pool), the caller
 * authenticated, then the query and body are parsed, then the handler;
 * every failure is a problem response.
 */
export function runRoute(route: AnyRoute, req: Request, params: Record<string, string>): Promise<Response> {
  return fromMachines(route) ? runAdmitted(route, req, params) : onPeopleLane(() => run(route, req, params));
}

async function runAdmitted(route: AnyRoute, req: Request, params: Record<string, string>): Promise<Response> {
  let admission: Admission;
  try {
    admission = admitCall();
  } catch (err) {
    return toProblem(err);
  }
  try {
    return await run(route, req, params, admission);
  } finally {
    admission.release();
  }
}

async function run(route: AnyRoute, req: Request, params: Record<string, string>, admission: Admission = UNLIMITED): Promise<Response> {
  let served: (() => void) | undefined;
  try {
    const caller = await authenticateCaller(route.access, req);
    if ("agent" in caller) admission.forAgent((caller.agent as { id: string }).id);
    // A signed-in person or an admin token: agents' work yields to this call while it runs (lib/limits/people-first.ts).
    else if ("user" in caller || "admin" in caller) served = personServed();
    const query = route.query ? readQuery(req, route.query) : undefined;
    const body = route.body ? parseWith(route.body, await readJson(req, route.bodyLimit, { optional: route.bodyOptional })) : undefined;
    return await route.handler({ req, params, query, body, admission, ...caller });
  } catch (err) {
    return toProblem(err);
  } finally {
    served?.();
  }
}

export function methodNotAllowed(allow: string[]): Response {
  const response = problem("method_not_allowed", `this resource answers ${allow.join(", ")}`);
  response.headers.set("allow", allow.join(", "));
  return response;
}
