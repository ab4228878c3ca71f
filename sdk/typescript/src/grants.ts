import { redeemWith } from "./client.js";
import { readEnv } from "./env.js";
import { CountersignError, CountersignNetworkError } from "./errors.js";
import { Transport } from "./http.js";
import { loadJose } from "./load-jose.js";
import type { GrantClaims, GrantExpectation, Redemption } from "./types.js";

/**
 * Redeems a grant as an executor: the grant is the capability, no agent key
 * is needed. Succeeds exactly once per grant; pass the action and params you
 * are about to run so the gateway refuses anything other than what was
 * approved (`grant_mismatch`).
 */
export async function redeemGrant(token: string, expected: GrantExpectation = {}, options: { url?: string; fetch?: typeof fetch } = {}): Promise<Redemption> {
  const url = options.url ?? readEnv("COUNTERSIGN_URL");
  if (!url) throw new TypeError("Countersign: no gateway URL; pass { url } or set COUNTERSIGN_URL");
  return redeemWith(new Transport({ url, fetch: options.fetch }), token, expected);
}

export interface VerifyGrantOptions {
  /** The gateway's key set: `<gateway URL>/.well-known/jwks.json`. */
  jwksUrl: string;
  /** The gateway's public URL (`iss`); default: `jwksUrl` without `/.well-known/jwks.json`. */
  issuer?: string;
  /** The audience you accept; default `countersign` (what grants carry unless their rule names another). */
  audience?: string | string[];
}

type RemoteKeySet = ReturnType<typeof import("jose")["createRemoteJWKSet"]>;

/** One remote key set per URL for the life of the process: jose caches the keys and refetches on an unknown `kid`. */
const keySets = new Map<string, RemoteKeySet>();

const JWKS_SUFFIX = "/.well-known/jwks.json";

/**
 * Checks a grant token offline: its EdDSA signature against the gateway's
 * published keys, issuer, audience and validity period. This proves the
 * gateway approved it; it does not consume it: only `redeemGrant` makes sure
 * a grant is used once. Invalid → CountersignError `grant_invalid`, past its
 * expiry → `grant_expired`; an unreachable key set → CountersignNetworkError.
 */
export async function verifyGrant(token: string, options: VerifyGrantOptions): Promise<GrantClaims> {
  const issuer = options.issuer ?? (options.jwksUrl.endsWith(JWKS_SUFFIX) ? options.jwksUrl.slice(0, -JWKS_SUFFIX.length) : undefined);
  if (!issuer) throw new TypeError(`Countersign: pass { issuer } to verifyGrant when jwksUrl does not end in ${JWKS_SUFFIX}`);
  const jose = await loadJose();
  let keySet = keySets.get(options.jwksUrl);
  if (!keySet) {
    keySet = jose.createRemoteJWKSet(new URL(options.jwksUrl));
    keySets.set(options.jwksUrl, keySet);
  }
  try {
    const { payload } = await jose.jwtVerify(token, keySet, {
      algorithms: ["EdDSA"],
      issuer,
      audience: options.audience ?? "countersign",
      requiredClaims: ["sub", "jti", "iat", "exp", "request_id", "action", "params_sha256"],
    });
    return payload as unknown as GrantClaims;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_JWT_EXPIRED") throw grantProblem(410, "grant_expired", "the grant has expired", error);
    // No code: fetch itself failed. ERR_JOSE_GENERIC: the key set answered, but not with 200 and JSON.
    if (typeof code !== "string" || code === "ERR_JWKS_TIMEOUT" || code === "ERR_JOSE_GENERIC") {
      throw new CountersignNetworkError(`could not fetch the grant keys from ${options.jwksUrl}: ${(error as Error).message}`, { cause: error });
    }
    throw grantProblem(401, "grant_invalid", `the grant token is not valid: ${(error as Error).message}`, error);
  }
}

function grantProblem(status: number, code: string, detail: string, cause: unknown): CountersignError {
  return new CountersignError({ type: "about:blank", title: code === "grant_expired" ? "Grant expired" : "Grant invalid", status, code, detail }, { cause });
}
