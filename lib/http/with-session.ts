import { auth } from "../auth/config.ts";
import { publicUrl } from "../env.ts";
import { AppError } from "../errors.ts";
import type { Reviewer } from "../requests/decide-request.ts";
import { toProblem } from "./problem.ts";

type Role = Reviewer["role"];
type RouteContext<P> = { params: Promise<P> };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cross-site requests must not act with a reviewer's cookies. State-changing
 * calls need an `Origin` of this app (browsers always send it on POST); a
 * missing one is refused too, since cookie-bearing scripts could omit it.
 */
export function assertSameOrigin(req: Request): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.get("origin");
  const own = new Set([new URL(req.url).origin, new URL(publicUrl()).origin]);
  const host = req.headers.get("host");
  if (host) own.add(`${new URL(req.url).protocol}//${host}`);
  if (!origin || !own.has(origin)) throw new AppError("forbidden", "cross-site requests are not allowed");
}

/** The signed-in user and their server-side session, or null (lib/auth/sessions.ts decides, on every call). */
async function currentSession(): Promise<{ user: Reviewer; sessionId: string } | null> {
  const session = await auth();
  const u = session?.user;
  return session && u?.id ? { user: { id: u.id, email: u.email, role: u.role }, sessionId: session.sessionId } : null;
}

export async function currentReviewer(): Promise<Reviewer | null> {
  return (await currentSession())?.user ?? null;
}

/** Wraps a session endpoint: signed-in user with one of `roles`, same-origin for writes, problem responses. */
export function withSession<P = Record<string, never>>(
  roles: Role[],
  handler: (req: Request, ctx: { user: Reviewer; sessionId: string; params: P }) => Promise<Response>,
) {
  return async (req: Request, route: RouteContext<P>): Promise<Response> => {
    try {
      assertSameOrigin(req);
      const current = await currentSession();
      if (!current) throw new AppError("unauthenticated", "sign in first");
      const { user, sessionId } = current;
      if (!roles.includes(user.role)) throw new AppError("forbidden", "your role does not allow this");
      return await handler(req, { user, sessionId, params: await route.params });
    } catch (err) {
      return toProblem(err);
    }
  };
}
