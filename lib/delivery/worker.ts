import "server-only";
import { randomInt } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { sql } from "kysely";
import { db } from "../db.ts";
import { logger } from "../logger.ts";
import { unseal } from "../sealing.ts";
import { deliveryConfig, type DeliveryConfig } from "./config.ts";
import { postJson } from "./http-post.ts";
import { sendEmail } from "../notifications/smtp.ts";
import type { EmailMessage } from "../notifications/messages.ts";

/** How long a claimed delivery stays invisible to other workers while it is being sent. */
export const LEASE_MS = 60_000;

/** Exponential backoff with ±25 % jitter: 5 s, 15 s, 45 s … capped at 6 h. */
export function backoffMs(attempts: number): number {
  const base = Math.min(5_000 * 3 ** Math.max(0, attempts - 1), 6 * 3600_000);
  return Math.round(base * (0.75 + randomInt(0, 500) / 1000));
}

export interface Claimed {
  id: string;
  url: string;
  payload: unknown;
  attempts: number;
  secretSealed: string | null;
  /** Set for an agent's callback (its URL came from the agent), null for an endpoint or an email. */
  agentId: string | null;
}

/** Standard Webhooks headers for `body`, signed with `secret` (`whsec_…`). */
export function signedHeaders(secret: string, id: string, body: string, at = new Date()): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, body),
  };
}

/**
 * The worker: claims due deliveries (FOR UPDATE SKIP LOCKED, then leased by
 * moving next_attempt_at, so concurrent workers on any instance never claim
 * the same row), sends each signed with its endpoint's or agent's secret, and
 * records the outcome: delivered; failed with the next attempt after an
 * exponential backoff with jitter; or dead after the maximum attempts. If a
 * worker dies mid-send the lease runs out and the delivery is sent again:
 * delivery is at-least-once, and receivers deduplicate by `webhook-id`.
 * `now` decides which deliveries are due (tests pass a later one).
 */
export async function deliverDue(o: { now?: Date; limit?: number; config?: DeliveryConfig } = {}): Promise<number> {
  const config = o.config ?? deliveryConfig();
  const now = o.now ?? new Date();
  // An instance without SMTP leaves emails to the instances that have it.
  const sendsEmail = config.email !== null;
  const { rows } = await sql<Claimed>`
    UPDATE deliveries d
       SET attempts = d.attempts + 1, next_attempt_at = ${new Date(now.getTime() + LEASE_MS)}::timestamptz, updated_at = now()
      FROM (SELECT c.id FROM deliveries c
             WHERE c.status IN ('pending', 'failed') AND c.next_attempt_at <= ${now}::timestamptz
               AND NOT EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = c.endpoint_id AND NOT w.enabled)
               AND (${sendsEmail}::boolean OR c.url NOT LIKE 'mailto:%')
             ORDER BY c.next_attempt_at
             LIMIT ${o.limit ?? 20}
             FOR UPDATE OF c SKIP LOCKED) due
     WHERE d.id = due.id
    RETURNING d.id, d.url, d.payload, d.attempts, d.agent_id,
              COALESCE((SELECT w.secret_sealed FROM webhook_endpoints w WHERE w.id = d.endpoint_id),
                       (SELECT s.secret_sealed FROM agent_callback_secrets s WHERE s.agent_id = d.agent_id)) AS secret_sealed`.execute(db());
  await sendClaimed(rows, now, config);
  return rows.length;
}

/** Sends deliveries this process has claimed (leased) and records every outcome in one statement. */
export async function sendClaimed(rows: Claimed[], now: Date, config: DeliveryConfig): Promise<void> {
  const results = await Promise.all(rows.map((row) => sendOne(row, now, config)));
  if (results.length) {
    // One statement records every outcome of the batch.
    await sql`
      UPDATE deliveries d
         SET status = x.status, response_status = x.response_status, last_error = x.last_error, updated_at = now(),
             delivered_at = CASE WHEN x.status = 'delivered' THEN now() ELSE d.delivered_at END,
             next_attempt_at = x.next_attempt_at
        FROM jsonb_to_recordset(${JSON.stringify(results)}::jsonb) AS x(id text, status text, response_status int, last_error text, next_attempt_at timestamptz)
       WHERE d.id = x.id`
      .execute(db())
      .catch((err: Error) => logger.warn({ err: err.message }, "could not record delivery results; they will be sent again when their lease ends"));
  }
}

interface Outcome {
  id: string;
  status: "delivered" | "failed" | "dead";
  response_status: number | null;
  last_error: string | null;
  next_attempt_at: string;
}

async function sendOne(row: Claimed, now: Date, config: DeliveryConfig): Promise<Outcome> {
  if (row.url.startsWith("mailto:")) {
    const result = config.email
      ? await sendEmail(row.id, row.payload as EmailMessage, config.email, config.timeoutMs)
      : { ok: false, status: null, error: "SMTP is not configured on this instance", permanent: false };
    return outcome(row, now, config, { ...result, refused: result.permanent ?? false });
  }
  const body = JSON.stringify(row.payload);
  let secret: string | null = null;
  try {
    secret = row.secretSealed ? unseal("webhook-secret-v1", row.secretSealed).toString("utf8") : null;
  } catch {
    // COUNTERSIGN_KEY_SECRET changed since the secret was sealed: nothing can be signed until it is rotated.
  }
  const result = secret
    ? await postJson(row.url, body, signedHeaders(secret, row.id, body), {
        timeoutMs: config.timeoutMs,
        policy: row.agentId ? config.callbacks : config.destinations,
      })
    : { ok: false, status: null, error: "no usable secret to sign with (rotate the secret)" };
  return outcome(row, now, config, { ...result, refused: !result.ok && !!result.error?.startsWith("refused") });
}

/** Delivered; dead when refused for good or out of attempts; otherwise failed, with the next attempt after a backoff. */
function outcome(
  row: Claimed,
  now: Date,
  config: DeliveryConfig,
  result: { ok: boolean; status: number | null; error?: string | null; refused: boolean },
): Outcome {
  const dead = !result.ok && (result.refused || row.attempts >= config.maxAttempts);
  return {
    id: row.id,
    status: result.ok ? "delivered" : dead ? "dead" : "failed",
    response_status: result.status,
    last_error: result.error?.slice(0, 500) ?? null,
    next_attempt_at: new Date(now.getTime() + (result.ok || dead ? 0 : backoffMs(row.attempts))).toISOString(),
  };
}
