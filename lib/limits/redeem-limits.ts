import "server-only";
import { env } from "../env.ts";
import { addressBucket } from "../http/client-address.ts";
import { limiter } from "./rate-limit.ts";

/**
 * Limits on refused grant redemptions, per source address and per grant.
 * Only refusals count: a successful redemption happens once per grant, so
 * an executor redeeming many grants is never slowed down, while replays,
 * guessed tokens and mismatches are turned away with 429 once a source (or a
 * grant) has been refused too often. Kept per app instance, like every
 * limiter in lib/limits.
 */
export function redeemLimits() {
  const e = env();
  const bySource = limiter("redeem-refusals-address", e.COUNTERSIGN_REDEEM_REFUSALS_PER_ADDRESS_MINUTE, 60);
  const byGrant = limiter("redeem-refusals-grant", e.COUNTERSIGN_REDEEM_REFUSALS_PER_GRANT_MINUTE, 60);
  return {
    admitSource: (source: string) => bySource.check(addressBucket(source), "too many refused redemptions from this address"),
    admitGrant: (grantId: string) => byGrant.check(grantId, "too many refused redemptions of this grant"),
    refusedSource: (source: string) => bySource.count(addressBucket(source)),
    refusedGrant: (grantId: string) => byGrant.count(grantId),
  };
}
