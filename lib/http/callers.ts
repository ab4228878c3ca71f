import "server-only";
import { authenticateAdminToken } from "../admin-tokens/admin-tokens.ts";
import { type AdminScope, insufficientScope, scopeAllows } from "../admin-tokens/scopes.ts";
import { authenticateAgent } from "../agents/authenticate-agent.ts";
import { currentSession } from "../auth/current-session.ts";
import { publicUrl } from "../env.ts";
import { AppError } from "../errors.ts";
import type { Reviewer } from "../requests/decide-request.ts";
import type { Role } from "../users/roles.ts";
import type { Access } from "./define-route.ts";

export type AdminPrincipal =
  | { kind: "user"; user: Reviewer; actor: string }
  | { kind: "token"; tokenId: string; name: string; scopes: string[]; actor: string };

/** Where a user with a one-time password chooses their own (lib/routes/account.ts). */
export const CHANGE_PASSWORD_PATH = "/api/v1/me/password";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cross-site requests must not act, or read, with a reviewer's cookies.
 * A read the browser marks `Sec-Fetch-Site: cross-site` is refused.
 * State-changing calls need an `Origin` of this app (browsers always send it
 * on POST); a missing one is refused too, since cookie-bearing scripts could
 * omit it.
 */
function assertSameOrigin(req: Request): void {
  if (SAFE_METHODS.has(req.method)) {
    if (req.headers.get("sec-fetch-site") === "cross-site") throw new AppError("forbidden", "cross-site requests are not allowed");
    return;
  }
  const origin = req.headers.get("origin");
  const own = new Set([new URL(req.url).origin, new URL(publicUrl()).origin]);
  const host = req.headers.get("host");
  if (host) own.add(`${new URL(req.url).protocol}//${host}`);
  if (!origin || !own.has(origin)) throw new AppError("forbidden", "cross-site requests are not allowed");
}

const plural = (roles: readonly string[]) => roles.map((r) => `${r}s`).join(" and ");

/** The signed-in user (same-origin for writes) with one of `roles`; the refusals say what the route expects. */
async function signedIn(req: Request, roles: readonly Role[], refusal: { unauthenticated: string; forbidden: string }, oneTimePassword?: "allowed") {
  assertSameOrigin(req);
  const current = await currentSession(req.headers);
  if (!current) throw new AppError("unauthenticated", refusal.unauthenticated);
  if (current.user.mustChangePassword && oneTimePassword !== "allowed") {
    throw new AppError("forbidden", `your password is one-time: choose your own first (POST ${CHANGE_PASSWORD_PATH}, or the page /settings/password)`);
  }
  if (!roles.includes(current.user.role)) throw new AppError("forbidden", refusal.forbidden);
  const { id, email, role } = current.user;
  return { user: { id, email, role }, sessionId: current.sessionId };
}

async function adminCaller(req: Request, roles: readonly Role[], scope: AdminScope): Promise<AdminPrincipal> {
  const authorization = req.headers.get("authorization");
  if (authorization !== null) {
    // No cookies are involved, so no cross-site check: a page cannot make a browser send this header.
    // A bearer credential that is not an admin token (an agent key, say) is refused, never a fall back to cookies.
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    const token = await authenticateAdminToken(m?.[1] ?? "");
    // Checked on every call from the stored scopes, before the body is read or anything is looked up.
    if (!scopeAllows(token.scopes, scope)) throw new AppError("insufficient_scope", insufficientScope(scope));
    return { kind: "token", tokenId: token.id, name: token.name, scopes: token.scopes, actor: `admin_token:${token.id}` };
  }
  const { user } = await signedIn(req, roles, {
    unauthenticated: "sign in as an admin, or send an admin token",
    forbidden: `only ${plural(roles)} may do this`,
  });
  return { kind: "user", user, actor: `user:${user.id}` };
}

/** Who is calling, as the route's `access` requires; throws a coded error (401, 403) otherwise. Decided on every call. */
export async function authenticateCaller(access: Access, req: Request): Promise<Record<string, unknown>> {
  if (access === "public") return {};
  if (access === "agent") return { agent: await authenticateAgent(req.headers.get("authorization")) };
  if ("session" in access)
    return signedIn(req, access.session, { unauthenticated: "sign in first", forbidden: "your role does not allow this" }, access.oneTimePassword);
  return { admin: await adminCaller(req, access.admin, access.scope) };
}
