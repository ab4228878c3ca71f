import "server-only";
import type { Role } from "../users/roles.ts";
import { appendEvent } from "../audit/append-event.ts";
import { pool, type Tx, prismaTransact, announceOnCommit } from "../db.ts";
import { env } from "../env.ts";
import { randomSecret } from "../ids.ts";

/**
 * Server-side sessions. The session cookie stays an Auth.js JWT, but it names
 * a `user_sessions` row (`sid`), and a session is live only while that row
 * exists and has not run out: deleting the row signs the session out
 * everywhere at once, whatever copies of the cookie exist.
 */

export interface LiveSession {
  sessionId: string;
  userId: string;
  email: string;
  name: string | null;
  role: Role;
}

/** Sliding expiry is written at most this often, so a session read is normally one indexed SELECT. */
const EXTEND_EVERY_SECONDS = 15 * 60;

/** Starts a session for a user who just signed in; also drops that user's expired sessions. */
export async function startSession(userId: string): Promise<string> {
  const sessionId = `ses_${randomSecret(16)}`;
  await pool().query(
    `WITH pruned AS (DELETE FROM user_sessions WHERE user_id = $2 AND expires_at <= now())
     INSERT INTO user_sessions (id, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [sessionId, userId, env().COUNTERSIGN_SESSION_MAX_AGE],
  );
  return sessionId;
}

/**
 * The session and its user as they are now, or null when the session was
 * signed out, revoked, ran out, or the user is disabled. Runs on every
 * authenticated request: one primary-key lookup joined to the user by
 * primary key, no cache, so a revocation applies on every instance at once.
 */
export async function findLiveSession(sessionId: string): Promise<LiveSession | null> {
  const maxAge = env().COUNTERSIGN_SESSION_MAX_AGE;
  const { rows } = await pool().query<{ id: string; email: string; name: string | null; role: LiveSession["role"]; extend: boolean }>({
    name: "cs_live_session",
    text: `SELECT u.id, u.email, u.name, u.role::text AS role,
                  s.expires_at < now() + make_interval(secs => $2) AS extend
             FROM user_sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id = $1 AND s.expires_at > now() AND NOT u.disabled`,
    values: [sessionId, Math.max(0, maxAge - EXTEND_EVERY_SECONDS)],
  });
  const row = rows[0];
  if (!row) return null;
  if (row.extend) {
    await pool().query("UPDATE user_sessions SET expires_at = now() + make_interval(secs => $2) WHERE id = $1", [sessionId, maxAge]);
  }
  return { sessionId, userId: row.id, email: row.email, name: row.name, role: row.role };
}

/** Sign-out: ends exactly this session, audited, and closes its live streams on every instance. */
export async function endSession(o: { sessionId: string; userId: string }): Promise<void> {
  await prismaTransact(async (tx) => {
    const { count } = await tx.userSession.deleteMany({ where: { id: o.sessionId, userId: o.userId } });
    if (count === 0) return;
    await appendEvent(tx, { type: "user.signed_out", actor: `user:${o.userId}`, data: { session_id: o.sessionId } });
    announceOnCommit(tx, { kind: "sessions", user_id: o.userId, session_id: o.sessionId });
  });
}

/** Ends every session of a user, inside the caller's transaction (disable, password reset). */
export async function revokeUserSessions(tx: Tx, userId: string): Promise<void> {
  await tx.userSession.deleteMany({ where: { userId } });
  announceOnCommit(tx, { kind: "sessions", user_id: userId });
}

/**
 * The user's sessions stay, but what they may see changed (role, groups):
 * their open streams close and reconnect under the new rights. Plain
 * requests need nothing, since they read the role on every call.
 */
export async function refreshUserSessions(tx: Tx, userId: string): Promise<void> {
  announceOnCommit(tx, { kind: "sessions", user_id: userId });
}
