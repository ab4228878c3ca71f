import "server-only";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { env } from "../env.ts";
import { logger } from "../logger.ts";

/**
 * Verified on-behalf-of: an agent may pass the end user's ID token from a
 * trusted OpenID issuer as `context.on_behalf_of_token`; this checks it.
 *
 * It never throws and never waits long: every failure (a bad token, an issuer
 * that is down or slow) is "unverified", which is what a rule requiring
 * `context.on_behalf_of_verified` then refuses (fail closed). An issuer that
 * failed is not asked again for RETRY_AFTER_FAILURE_MS, so an outage costs one
 * request one timeout, not every request.
 */

export interface OnBehalfOfConfig {
  /** Trusted issuer identifiers, compared exactly with `iss` and the discovery document's `issuer`. */
  issuers: string[];
  /** A token's `aud` must name one of these. */
  audiences: string[];
  /** Per fetch (discovery document, then keys). */
  timeoutMs: number;
}

export type OnBehalfOfVerification = { verified: true; email: string; sub: string; iss: string } | { verified: false; reason: string };

/**
 * Asymmetric signatures only: `none` is refused by jose itself, and HS* would
 * let anyone holding the client secret (or a confused verifier treating a
 * public key as an HMAC secret) mint tokens.
 */
export const ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
/** Seconds of clock difference tolerated for `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_SECONDS = 30;
const RETRY_AFTER_FAILURE_MS = 30_000;
/** Discovery documents are re-read this often; the keys themselves are refreshed by jose (on an unknown `kid`, or after 10 minutes). */
const DISCOVERY_MAX_AGE_MS = 3600_000;
const MAX_DISCOVERY_BYTES = 64 * 1024;

const split = (list: string | undefined) =>
  (list ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function onBehalfOfConfig(): OnBehalfOfConfig {
  const e = env();
  return {
    issuers: split(e.COUNTERSIGN_OBO_ISSUER ?? e.AUTH_OIDC_ISSUER),
    audiences: split(e.COUNTERSIGN_OBO_AUDIENCE ?? e.AUTH_OIDC_CLIENT_ID),
    timeoutMs: e.COUNTERSIGN_OBO_FETCH_TIMEOUT_SECONDS * 1000,
  };
}

type IssuerKeys = { keys: JWTVerifyGetKey; until: number } | { failed: string; until: number };
const issuerKeys = new Map<string, IssuerKeys>();
const loading = new Map<string, Promise<IssuerKeys>>();

class IssuerUnreachable extends Error {}

async function discover(issuer: string, timeoutMs: number): Promise<IssuerKeys> {
  try {
    const res = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
      headers: { accept: "application/json" },
    });
    if (!res.ok) throw new IssuerUnreachable(`discovery answered ${res.status}`);
    const body = await res.text();
    if (body.length > MAX_DISCOVERY_BYTES) throw new IssuerUnreachable("discovery document too large");
    const doc = JSON.parse(body) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if (doc.issuer !== issuer) throw new IssuerUnreachable("discovery document names another issuer");
    if (typeof doc.jwks_uri !== "string" || !/^https?:\/\//.test(doc.jwks_uri)) throw new IssuerUnreachable("discovery document has no jwks_uri");
    const keys = createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: timeoutMs, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    return { keys, until: Date.now() + DISCOVERY_MAX_AGE_MS };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    logger.warn({ issuer, err: why }, "on-behalf-of issuer discovery failed");
    return { failed: "the issuer could not be reached", until: Date.now() + RETRY_AFTER_FAILURE_MS };
  }
}

async function keysFor(issuer: string, timeoutMs: number): Promise<IssuerKeys> {
  const known = issuerKeys.get(issuer);
  if (known && known.until > Date.now()) return known;
  let pending = loading.get(issuer);
  if (!pending) {
    pending = discover(issuer, timeoutMs).then((k) => {
      issuerKeys.set(issuer, k);
      loading.delete(issuer);
      return k;
    });
    loading.set(issuer, pending);
  }
  return pending;
}

/**
 * Whether jose failed to fetch the issuer's keys (timeout, refused connection,
 * a non-200 answer), as opposed to the token failing: only then is the issuer
 * treated as down for everyone, so no token an agent crafts can do that.
 */
function keysUnreachable(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout) return true;
  if (err instanceof TypeError && /fetch/i.test(err.message)) return true;
  return err instanceof errors.JOSEError && err.code === "ERR_JOSE_GENERIC" && /JSON Web Key Set HTTP response/.test(err.message);
}

const sameEmail = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

function reasonFor(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "the token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "aud") return "the token is for another audience";
    if (err.claim === "iss") return "the token is from an untrusted issuer";
    if (err.claim === "nbf" || err.claim === "iat") return "the token is not valid yet";
    return `the token's ${err.claim} claim is missing or invalid`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (err instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not allowed";
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return "the token's signing key is not the issuer's";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return "the token is malformed";
  return "the token could not be verified";
}

/**
 * Checks an ID token: a trusted issuer (`iss`), one of the audiences
 * (`aud`), `exp`/`nbf`/`iat` within a small clock tolerance, an allowed
 * asymmetric algorithm, a signature by one of the issuer's published keys,
 * and an `email` that is not marked unverified. When the agent also states
 * `on_behalf_of`, it must be that email (case-insensitively): a token for
 * someone else verifies nobody.
 */
export async function verifyOnBehalfOfToken(token: string, stated: string | undefined, config = onBehalfOfConfig()): Promise<OnBehalfOfVerification> {
  const unverified = (reason: string): OnBehalfOfVerification => ({ verified: false, reason });
  if (config.issuers.length === 0 || config.audiences.length === 0) return unverified("no trusted issuer is configured");
  // Cheap checks first, so a junk token never causes a fetch.
  let iss: unknown;
  try {
    const header = decodeProtectedHeader(token);
    if (typeof header.alg !== "string" || !ALLOWED_ALGORITHMS.includes(header.alg)) return unverified("the token's algorithm is not allowed");
    if (typeof header.typ === "string" && /^(application\/)?at\+jwt$/i.test(header.typ)) return unverified("the token is an access token, not an ID token");
    iss = decodeJwt(token).iss;
  } catch {
    return unverified("the token is malformed");
  }
  if (typeof iss !== "string" || !config.issuers.includes(iss)) return unverified("the token is from an untrusted issuer");

  const keys = await keysFor(iss, config.timeoutMs);
  if ("failed" in keys) return unverified(keys.failed);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keys.keys, {
      issuer: iss,
      audience: config.audiences,
      algorithms: ALLOWED_ALGORITHMS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["iss", "sub", "aud", "exp", "iat"],
    }));
  } catch (err) {
    if (keysUnreachable(err)) {
      // The keys could not be fetched (timeout, refused connection, bad JSON): the issuer is down for now.
      logger.warn({ issuer: iss, err: err instanceof Error ? err.message : String(err) }, "on-behalf-of issuer keys could not be fetched");
      issuerKeys.set(iss, { failed: "the issuer could not be reached", until: Date.now() + RETRY_AFTER_FAILURE_MS });
      return unverified("the issuer could not be reached");
    }
    return unverified(reasonFor(err));
  }
  const { email, email_verified: emailVerified, sub } = payload;
  if (typeof email !== "string" || email.length === 0 || email.length > 320) return unverified("the token carries no email");
  if (emailVerified === false || emailVerified === "false") return unverified("the issuer has not verified the token's email");
  if (stated !== undefined && !sameEmail(stated, email)) return unverified(`the ID token is for ${email}, not the person the agent names`);
  return { verified: true, email, sub: String(sub), iss };
}

/** Forgets every issuer's keys and failures (tests). */
export function resetOnBehalfOfIssuers(): void {
  issuerKeys.clear();
  loading.clear();
}

/**
 * The context as stored, shown and given to rules: the raw token is a
 * credential and is dropped here, before anything stores, audits or shows it;
 * what was verified takes its place. Without a token the context is unchanged
 * (rules still see `context.on_behalf_of_verified` as false: lib/policy/cel.ts).
 * A verified token with no stated `on_behalf_of` states it, so the separation
 * of duties (nobody decides on their own behalf) applies to the verified person.
 */
export async function resolveOnBehalfOf<C extends { on_behalf_of_token?: string; on_behalf_of?: string }>(
  context: C,
): Promise<{ context: Omit<C, "on_behalf_of_token"> & Record<string, unknown>; verification: OnBehalfOfVerification | null }> {
  const { on_behalf_of_token: token, ...rest } = context;
  if (token === undefined) return { context: rest, verification: null };
  const verification = await verifyOnBehalfOfToken(token, context.on_behalf_of);
  if (!verification.verified) return { context: { ...rest, on_behalf_of_verified: false, on_behalf_of_unverified_reason: verification.reason }, verification };
  return {
    context: {
      ...rest,
      on_behalf_of: rest.on_behalf_of ?? verification.email,
      on_behalf_of_verified: true,
      on_behalf_of_subject: { email: verification.email, sub: verification.sub, iss: verification.iss },
    },
    verification,
  };
}
