import "server-only";
import { compactVerify, decodeProtectedHeader, SignJWT } from "jose";
import { publicUrl } from "../env.ts";
import { AppError } from "../errors.ts";
import { signingKeyById } from "./signing-keys.ts";

export interface GrantClaims {
  grantId: string;
  agentId: string;
  requestId: string;
  action: string;
  resource: string | null;
  paramsSha256: string;
  approvedBy: string[];
  audience: string;
  issuedAt: Date;
  expiresAt: Date;
  kid: string;
}

/**
 * Signs the grant JWT. Ed25519 signatures are deterministic, so the same
 * stored claims always give the same token: the token itself is never stored,
 * and the agent can fetch it again until it is redeemed or expires.
 */
export async function signGrant(c: GrantClaims): Promise<string> {
  const key = await signingKeyById(c.kid);
  if (!key) throw new Error(`signing key ${c.kid} is missing`);
  const iat = Math.floor(c.issuedAt.getTime() / 1000);
  return new SignJWT({
    request_id: c.requestId,
    action: c.action,
    resource: c.resource,
    params_sha256: c.paramsSha256,
    approved_by: c.approvedBy,
  })
    .setProtectedHeader({ alg: "EdDSA", kid: c.kid, typ: "JWT" })
    .setIssuer(publicUrl())
    .setSubject(c.agentId)
    .setAudience(c.audience)
    .setJti(c.grantId)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(Math.floor(c.expiresAt.getTime() / 1000))
    .sign(key.privateKey);
}

/** Our key ids are `k_` and base64url; anything outside printable ASCII cannot be one. */
const KID = /^[\x21-\x7e]{1,128}$/;

export interface VerifiedGrant {
  jti: string;
  sub: string;
  action: string;
  params_sha256: string;
  /** Seconds since the epoch. */
  exp: number;
}

/**
 * Checks a grant's signature, issuer and claims. A bad signature, unknown key
 * or malformed token is `grant_invalid`. Expiry is reported, not thrown, so
 * that the refusal of a genuine but expired grant is audit-logged like any
 * other refusal.
 */
export async function verifyGrantToken(token: string): Promise<VerifiedGrant> {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new AppError("grant_invalid", "the grant token is malformed");
  }
  // The header is the presenter's JSON: a number, object or NUL-laden kid must not reach the database.
  const key = typeof kid === "string" && KID.test(kid) ? await signingKeyById(kid) : null;
  if (!key) throw new AppError("grant_invalid", "the grant token was not signed by this gateway");
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(token, key.publicKey, { algorithms: ["EdDSA"] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    throw new AppError("grant_invalid", "the grant token is not valid");
  }
  const { jti, sub, action, params_sha256, exp, iss } = payload;
  if (
    iss !== publicUrl() ||
    typeof jti !== "string" ||
    typeof sub !== "string" ||
    typeof action !== "string" ||
    typeof params_sha256 !== "string" ||
    typeof exp !== "number"
  ) {
    throw new AppError("grant_invalid", "the grant token lacks required claims");
  }
  return { jti, sub, action, params_sha256, exp };
}
