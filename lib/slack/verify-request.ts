import "server-only";
import { createHmac } from "node:crypto";
import { sql } from "kysely";
import { safeEqual } from "../crypto.ts";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";

/** Slack's window: a request signed more than five minutes from now is refused. */
export const SLACK_WINDOW_SECONDS = 300;

/**
 * Verifies a request from Slack as Slack documents it
 * (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `v0=` + hex HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}` with
 * the signing secret, compared in constant time, the timestamp within five
 * minutes of now. A valid signature is accepted once: it is remembered (in
 * the database, so every instance knows it) until it falls out of the window,
 * and a second delivery of it is refused as a replay.
 */
export async function verifySlackRequest(headers: Headers, rawBody: string, signingSecret: string, now = new Date()): Promise<void> {
  const timestamp = headers.get("x-slack-request-timestamp") ?? "";
  const signature = headers.get("x-slack-signature") ?? "";
  if (!/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/.test(signature)) throw new AppError("unauthenticated", "missing or malformed Slack signature");
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SLACK_WINDOW_SECONDS) {
    throw new AppError("unauthenticated", "the Slack request timestamp is outside the five-minute window");
  }
  const expected = `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${rawBody}`).digest("hex")}`;
  if (!safeEqual(expected, signature)) throw new AppError("unauthenticated", "the Slack signature does not match");
  const first = await db()
    .insertInto("slackSeenSignatures")
    .values({ signature, seenAt: now })
    .onConflict((oc) => oc.column("signature").doNothing())
    .returning("signature")
    .executeTakeFirst();
  if (!first) throw new AppError("unauthenticated", "this Slack request was already received (replay)");
  // Forget what the window already refuses (twice the window, for clocks that differ a little).
  await db()
    .deleteFrom("slackSeenSignatures")
    .where("seenAt", "<", sql<Date>`${now}::timestamptz - make_interval(secs => ${SLACK_WINDOW_SECONDS * 2})`)
    .execute();
}
