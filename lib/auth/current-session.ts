import "server-only";
import { publicUrl } from "../env.ts";
import type { Reviewer } from "../requests/decide-request.ts";
import { authHandler } from "./config.ts";
import { lookingUpSession } from "./sessions.ts";

export interface CurrentSession {
  user: Reviewer & { name: string | null; mustChangePassword: boolean };
  /** The server-side session (`user_sessions` row) the cookie names. */
  sessionId: string;
}

/**
 * The signed-in user behind a request's cookies, or null. Auth.js decodes the
 * session cookie and its `jwt` callback looks the server-side session up
 * (lib/auth/config.ts), so a signed-out, revoked or disabled session is null
 * at once and the role is always the current one. A request without a
 * session cookie costs nothing.
 */
export async function currentSession(headers: Headers): Promise<CurrentSession | null> {
  const cookie = headers.get("cookie");
  if (!cookie?.includes("authjs.session-token")) return null;
  const { result: answer, failure } = await lookingUpSession(() => authHandler(new Request(`${publicUrl()}/api/auth/session`, { headers: { cookie } })));
  const session = (await answer.json().catch(() => null)) as { user?: CurrentSession["user"]; sessionId?: string } | null;
  const u = session?.user;
  if (!u?.id || !session?.sessionId) {
    // The lookup failed (the database is away, say): that is the caller's answer (503), not "signed out".
    if (failure) throw failure;
    return null;
  }
  return {
    user: { id: u.id, email: u.email, role: u.role, name: u.name ?? null, mustChangePassword: u.mustChangePassword === true },
    sessionId: session.sessionId,
  };
}
