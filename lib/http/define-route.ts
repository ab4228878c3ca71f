import "server-only";
import type { RouteConfig } from "@asteasolutions/zod-to-openapi";
import type { z } from "zod";
import type { AuthenticatedAgent } from "../agents/authenticate-agent.ts";
import type { Reviewer } from "../requests/decide-request.ts";
import type { Admission } from "../limits/admission.ts";
import type { AdminPrincipal } from "./callers.ts";
import type { AdminScope } from "../admin-tokens/scopes.ts";

import type { Role } from "../users/roles.ts";

/**
 * Who may call a route:
 * - `"public"`: anyone (the grant, or nothing, is the capability);
 * - `"agent"`: an agent key (`Authorization: Bearer csk_…`);
 * - `{ session: roles }`: a signed-in user with one of `roles`, same-origin for writes,
 *   refused while their password is one-time unless `oneTimePassword: "allowed"`
 *   (only the password change itself);
 * - `{ admin: roles, scope }`: the same, or an admin API token (`Bearer csa_…`)
 *   holding `scope` (lib/admin-tokens/scopes.ts: its `:write`, or `admin`, also do).
 *   Every route under /api/v1/admin/ is one of these (test/api/admin-token-scopes.test.ts).
 */
export type Access = "public" | "agent" | { session: readonly Role[]; oneTimePassword?: "allowed" } | { admin: readonly Role[]; scope: AdminScope };

/** `{ id: string }` for `/api/v1/requests/{id}`: the names in a path template. */
export type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? { [K in Name | keyof PathParams<Rest>]: string }
  : Record<never, string>;

type Caller<A extends Access> = A extends "agent"
  ? { agent: AuthenticatedAgent }
  : A extends { session: readonly Role[] }
    ? { user: Reviewer; sessionId: string }
    : A extends { admin: readonly Role[]; scope: AdminScope }
      ? { admin: AdminPrincipal }
      : Record<never, never>;

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

export type RouteContext<P extends string, A extends Access, B, Q> = {
  req: Request;
  /** The call's place among those in flight (lib/limits/admission.ts): a long-wait gives it back while it holds. */
  admission: Admission;
  params: PathParams<P>;
  body: Infer<B>;
  query: Infer<Q>;
} & Caller<A>;

type Examples = Record<string, { summary?: string; description?: string; value: unknown }>;

/**
 * The OpenAPI operation, less what the route itself states: method, path,
 * the body and query schemas (from `body` and `query`) and, unless given
 * here, security (from `access`). Path parameters are plain strings unless
 * `request.params` says more.
 */
export type RouteDocs = Omit<RouteConfig, "method" | "path" | "request"> & {
  operationId: string;
  /** `body` here only for a route that reads its body itself (no `body` schema on the route). */
  request?: Omit<NonNullable<RouteConfig["request"]>, "query"> & { bodyExamples?: Examples; bodyDescription?: string };
};

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteDefinition<
  P extends string = string,
  A extends Access = Access,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: Method;
  path: P;
  access: A;
  /** The JSON body, parsed strictly (lib/http/strict-json.ts), at most 64 KiB unless `bodyLimit` says otherwise. */
  body?: B;
  bodyLimit?: number;
  /** An empty body reads as `{}` (and is documented as optional). */
  bodyOptional?: boolean;
  /** The query string; a repeated parameter is refused. */
  query?: Q;
  /** The answer is a stream (server-sent events, an export): sent as it is produced, not buffered. */
  streams?: boolean;
  /** The OpenAPI operation, or `false` for a route that is not part of the API document. */
  docs: RouteDocs | false;
  handler(ctx: RouteContext<P, A, B, Q>): Promise<Response>;
}

/** A route whose context types are erased: what the router and the document generator hold. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds routes of every context type; each was checked where it was defined.
export type AnyRoute = RouteDefinition<string, Access, z.ZodType | undefined, z.ZodType | undefined> & { handler(ctx: any): Promise<Response> };

/**
 * One endpoint: method, path, who may call it, the zod input, the OpenAPI
 * operation and the handler. The route table (lib/routes) is the only place
 * these are listed; dispatch (lib/http/router.ts), the OpenAPI document
 * (lib/openapi) and the route tests all read it.
 */
export function defineRoute<
  const P extends string,
  const A extends Access,
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
>(route: RouteDefinition<P, A, B, Q>): AnyRoute {
  return route as AnyRoute;
}
