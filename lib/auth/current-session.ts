import "server-only";
import { sql } from "kysely";
import { db } from "../db.ts";
import { isDatabaseUnavailable } from "../db-errors.ts";
import { publicUrl } from "../env.ts";
import { AppError } from "../errors.ts";
import type { Reviewer } from "../requests/decide-request.ts";
import { authHandler } from "./config.ts";

export interface CurrentSession {
  user: Reviewer & { name: string | null };
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
  const answer = await authHandler(new Request(`${publicUrl()}/api/auth/session`, { headers: { cookie } }));
  const session = (await answer.json().catch(() => null)) as { user?: CurrentSession["user"]; sessionId?: string } | null;
  const u = session?.user;
  if (!u?.id || !session?.sessionId) {
    await assertDatabaseReachable();
    return null;
  }
  return { user: { id: u.id, email: u.email, role: u.role, name: u.name ?? null }, sessionId: session.sessionId };
}

/**
 * Auth.js answers "no session" when its session lookup fails, so a cookie
 * that resolves to nobody is either signed out or met a database outage:
 * the outage must be a 503 to retry, not a 401 that sends people to sign in.
 */
async function assertDatabaseReachable(): Promise<void> {
  try {
    await sql`SELECT 1`.execute(db());
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw new AppError("unavailable", "the service is temporarily unavailable; try again shortly", { retryAfterSeconds: 5 });
    throw err;
  }
}
