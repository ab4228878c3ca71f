import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { recordRefusal } from "../audit/aggregate-refusals.ts";
import { canonicalSha256 } from "../crypto.ts";
import { announceOnCommit, db, transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { redeemLimits } from "../limits/redeem-limits.ts";
import { metrics } from "../metrics.ts";
import { verifyGrantToken } from "./grant-token.ts";

export interface RedeemGrantOptions {
  token: string;
  /** When given, must equal the approved action. */
  action?: string;
  /** When given, their canonical hash must equal the approved parameters'. */
  params?: Record<string, unknown>;
  /** The executor's address (from the socket): refusals are limited per source and recorded with it. */
  source?: string;
}

export interface RedeemedGrant {
  grantId: string;
  requestId: string;
  agentId: string;
  action: string;
  resource: string | null;
  params: Record<string, unknown>;
  redeemedAt: Date;
}

/**
 * An executor redeems a grant: signature, expiry, revocation and the
 * presented action/parameters are checked, then the grant is marked used with
 * one conditional UPDATE, so however many redeem at once, exactly one wins.
 * Refusals of a genuine grant are audit-logged too, repeats aggregated
 * (lib/audit/aggregate-refusals.ts); a source or grant refused too often is
 * answered 429 before any work.
 */
export async function redeemGrant(o: RedeemGrantOptions): Promise<RedeemedGrant> {
  const source = o.source ?? "unknown";
  const limits = redeemLimits();
  try {
    await limits.admitSource(source);
  } catch (err) {
    metrics().redemptions.inc({ result: "rate_limited" });
    throw err;
  }
  try {
    return await redeem(o, source, limits);
  } catch (err) {
    if (err instanceof AppError && (err.code.startsWith("grant_") || err.code === "rate_limited")) await limits.refusedSource(source);
    throw err;
  }
}

async function redeem(o: RedeemGrantOptions, source: string, limits: ReturnType<typeof redeemLimits>): Promise<RedeemedGrant> {
  const claims = await verifyGrantToken(o.token);
  try {
    await limits.admitGrant(claims.jti);
  } catch (err) {
    metrics().redemptions.inc({ result: "rate_limited" });
    // Genuinely signed, so worth a (aggregated) line in the log, though the grant is not read.
    await refuse({ id: claims.jti, requestId: null, agentId: claims.sub }, "rate_limited", source);
    throw err;
  }
  const grant = await db()
    .selectFrom("grants as g")
    .innerJoin("actionRequests as r", "r.id", "g.requestId")
    .select(["g.id", "g.agentId", "g.requestId", "r.action", "r.resource", "r.params", "r.paramsSha256", "r.status"])
    .where("g.id", "=", claims.jti)
    .executeTakeFirst();
  if (!grant || grant.agentId !== claims.sub || grant.action !== claims.action || grant.paramsSha256 !== claims.params_sha256) {
    throw new AppError("grant_invalid", "the grant is not known to this gateway");
  }
  const refuseCounted = async (reason: string) => {
    await limits.refusedGrant(grant.id);
    await refuse(grant, reason, source);
  };
  if (o.action !== undefined && o.action !== grant.action) {
    await refuseCounted("action_mismatch");
    throw new AppError("grant_mismatch", "the action does not match the approved action");
  }
  if (o.params !== undefined && canonicalSha256(o.params) !== grant.paramsSha256) {
    await refuseCounted("params_mismatch");
    throw new AppError("grant_mismatch", "the parameters do not match the approved parameters");
  }

  const now = new Date();
  // The token's own expiry and the stored one are the same instant; both are honoured.
  const stillValid = claims.exp * 1000 > now.getTime();
  const redeemed =
    stillValid &&
    (await transact(async (trx) => {
      const won = await trx
        .updateTable("grants")
        .set({ redeemedAt: now })
        .where("id", "=", grant.id)
        .where("redeemedAt", "is", null)
        .where("revokedAt", "is", null)
        .where("expiresAt", ">", now)
        .returning("id")
        .executeTakeFirst();
      if (!won) return false;
      announceOnCommit(trx, { kind: "request", id: grant.requestId, agent_id: grant.agentId, status: grant.status });
      await appendEvents(trx, [
        {
          type: "grant.redeemed",
          actor: "executor",
          requestId: grant.requestId,
          agentId: grant.agentId,
          data: { grant_id: grant.id, action: grant.action, params_sha256: grant.paramsSha256 },
        },
      ]);
      return true;
    }));
  metrics().redemptions.inc({ result: redeemed ? "redeemed" : "refused" });
  if (!redeemed) {
    const current = await db().selectFrom("grants").select(["revokedAt", "redeemedAt"]).where("id", "=", grant.id).executeTakeFirstOrThrow();
    // Precedence: revoked and already-redeemed say more than expired.
    const reason = current.revokedAt ? "revoked" : current.redeemedAt ? "already_redeemed" : "expired";
    await refuseCounted(reason);
    if (reason === "revoked") throw new AppError("grant_revoked", "the grant was revoked");
    if (reason === "already_redeemed") throw new AppError("grant_already_redeemed", "the grant was already redeemed");
    throw new AppError("grant_expired", "the grant has expired");
  }
  return {
    grantId: grant.id,
    requestId: grant.requestId,
    agentId: grant.agentId,
    action: grant.action,
    resource: grant.resource,
    params: grant.params as Record<string, unknown>,
    redeemedAt: now,
  };
}

type GrantRef = { id: string; requestId: string | null; agentId: string };

/** One refusal in the audit log; repeats with the same grant, reason and source within the window are summarised. */
async function refuse(grant: GrantRef, reason: string, source: string): Promise<void> {
  await recordRefusal({
    key: `grant.redemption_refused:${grant.id}:${reason}:${source}`,
    event: {
      type: "grant.redemption_refused",
      actor: "executor",
      requestId: grant.requestId,
      agentId: grant.agentId,
      data: { grant_id: grant.id, reason, address: source },
    },
  });
}
