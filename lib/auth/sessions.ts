import "server-only";
import type { Role } from "../users/roles.ts";
import { sql } from "kysely";
import { appendEvents } from "../audit/append-event.ts";
import { announceOnCommit, db, transact, type Trx } from "../db.ts";
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
  /** The password is one-time: only sign-out and changing it are allowed (lib/users/change-password.ts). */
  mustChangePassword: boolean;
}

/** Sliding expiry is written at most this often, so a session read is normally one indexed SELECT. */
const EXTEND_EVERY_SECONDS = 15 * 60;

/** Starts a session for a user who just signed in; also drops that user's expired sessions. */
export async function startSession(userId: string): Promise<string> {
  const sessionId = `ses_${randomSecret(16)}`;
  await db()
    .with("pruned", (q) => q.deleteFrom("userSessions").where("userId", "=", userId).where("expiresAt", "<=", sql<Date>`now()`).returning("id"))
    .insertInto("userSessions")
    .values({ id: sessionId, userId, expiresAt: inSeconds(env().COUNTERSIGN_SESSION_MAX_AGE) })
    .execute();
  return sessionId;
}

/** The database's `now()` plus `seconds`: session expiry runs on the database's clock. */
const inSeconds = (seconds: number) => sql<Date>`now() + make_interval(secs => ${seconds})`;

/**
 * The session and its user as they are now, or null when the session was
 * signed out, revoked, ran out, or the user is disabled. Runs on every
 * authenticated request: one primary-key lookup joined to the user by
 * primary key, no cache, so a revocation applies on every instance at once.
 */
export async function findLiveSession(sessionId: string): Promise<LiveSession | null> {
  const maxAge = env().COUNTERSIGN_SESSION_MAX_AGE;
  const row = await db()
    .selectFrom("userSessions as s")
    .innerJoin("users as u", "u.id", "s.userId")
    .select((eb) => [
      "u.id",
      "u.email",
      "u.name",
      "u.role",
      "u.mustChangePassword",
      eb("s.expiresAt", "<", inSeconds(Math.max(0, maxAge - EXTEND_EVERY_SECONDS))).as("extend"),
    ])
    .where("s.id", "=", sessionId)
    .where("s.expiresAt", ">", sql<Date>`now()`)
    .where("u.disabled", "=", false)
    .executeTakeFirst();
  if (!row) return null;
  if (row.extend) {
    await db()
      .updateTable("userSessions")
      .set({ expiresAt: inSeconds(maxAge) })
      .where("id", "=", sessionId)
      .execute();
  }
  return { sessionId, userId: row.id, email: row.email, name: row.name, role: row.role, mustChangePassword: row.mustChangePassword };
}

/** Sign-out: ends exactly this session, audited, and closes its live streams on every instance. */
export async function endSession(o: { sessionId: string; userId: string }): Promise<void> {
  await transact(async (trx) => {
    const { numDeletedRows } = await trx.deleteFrom("userSessions").where("id", "=", o.sessionId).where("userId", "=", o.userId).executeTakeFirst();
    if (numDeletedRows === 0n) return;
    await appendEvents(trx, [{ type: "user.signed_out", actor: `user:${o.userId}`, data: { session_id: o.sessionId } }]);
    announceOnCommit(trx, { kind: "sessions", user_id: o.userId, session_id: o.sessionId });
  });
}

/** Ends every session of a user, inside the caller's transaction (disable, password reset). */
export async function revokeUserSessions(trx: Trx, userId: string): Promise<void> {
  await trx.deleteFrom("userSessions").where("userId", "=", userId).execute();
  announceOnCommit(trx, { kind: "sessions", user_id: userId });
}

/**
 * The user's sessions stay, but what they may see changed (role, groups):
 * their open streams close and reconnect under the new rights. Plain
 * requests need nothing, since they read the role on every call.
 */
export function refreshUserSessions(trx: Trx, userId: string): void {
  announceOnCommit(trx, { kind: "sessions", user_id: userId });
}
