import { errors as joseErrors, jwtVerify, SignJWT, decodeProtectedHeader } from "jose";
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

export interface VerifiedGrant {
  jti: string;
  sub: string;
  action: string;
  params_sha256: string;
}

/**
 * Checks a grant's signature and claims. A bad signature, unknown key or
 * malformed token is `grant_invalid`; a well-signed but expired one is
 * `grant_expired`.
 */
export async function verifyGrantToken(token: string): Promise<VerifiedGrant> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new AppError("grant_invalid", "the grant token is malformed");
  }
  const key = kid ? await signingKeyById(kid) : null;
  if (!key) throw new AppError("grant_invalid", "the grant token was not signed by this gateway");
  try {
    const { payload } = await jwtVerify(token, key.publicKey, { algorithms: ["EdDSA"], issuer: publicUrl() });
    if (typeof payload.jti !== "string" || typeof payload.sub !== "string" || typeof payload.action !== "string" || typeof payload.params_sha256 !== "string") {
      throw new AppError("grant_invalid", "the grant token lacks required claims");
    }
    return { jti: payload.jti, sub: payload.sub, action: payload.action, params_sha256: payload.params_sha256 };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new AppError("grant_expired", "the grant has expired");
    throw new AppError("grant_invalid", "the grant token is not valid");
  }
}
