import { authenticateAdminToken } from "../admin-tokens/admin-tokens.ts";
import { AppError } from "../errors.ts";
import type { Reviewer } from "../requests/decide-request.ts";
import { toProblem } from "./problem.ts";
import { assertSameOrigin, currentReviewer } from "./with-session.ts";

type RouteContext<P> = { params: Promise<P> };

export type AdminPrincipal = { kind: "user"; user: Reviewer; actor: string } | { kind: "token"; tokenId: string; name: string; actor: string };

/**
 * Wraps an admin endpoint: an admin's session (same-origin for writes) or an
 * admin API token (`Authorization: Bearer csa_…`). A bearer credential that
 * is not an admin token (an agent key, say) is refused outright rather than
 * falling back to cookies.
 */
export function withAdmin<P = Record<string, never>>(
  handler: (req: Request, ctx: { admin: AdminPrincipal; params: P }) => Promise<Response>,
  options: { roles?: Reviewer["role"][] } = {},
) {
  return async (req: Request, route: RouteContext<P>): Promise<Response> => {
    try {
      return await handler(req, { admin: await authenticateAdmin(req, options.roles ?? ["admin"]), params: await route.params });
    } catch (err) {
      return toProblem(err);
    }
  };
}

async function authenticateAdmin(req: Request, roles: Reviewer["role"][]): Promise<AdminPrincipal> {
  const authorization = req.headers.get("authorization");
  if (authorization !== null) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    // No cookies are involved, so no cross-site check: a page cannot make a browser send this header.
    const token = await authenticateAdminToken(m?.[1] ?? "");
    return { kind: "token", tokenId: token.id, name: token.name, actor: `admin_token:${token.id}` };
  }
  assertSameOrigin(req);
  const user = await currentReviewer();
  if (!user) throw new AppError("unauthenticated", "sign in as an admin, or send an admin token");
  if (!roles.includes(user.role)) throw new AppError("forbidden", `only ${roles.map((r) => `${r}s`).join(" and ")} may do this`);
  return { kind: "user", user, actor: `user:${user.id}` };
}
