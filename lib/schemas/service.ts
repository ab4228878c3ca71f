import { z } from "./zod.ts";

// Public answers built by hand in lib/http/agent-routes.ts: health and the grant-signing keys.

export const Health = z.object({ status: z.enum(["ok", "degraded"]), database: z.enum(["ok", "unavailable"]) }).openapi("Health");

export const Jwk = z
  .object({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string().openapi({ description: "The public key, base64url." }),
    kid: z.string().openapi({ description: "Matches the `kid` in a grant token's header." }),
    alg: z.literal("EdDSA"),
    use: z.literal("sig"),
  })
  .openapi("Jwk");

export const Jwks = z.object({ keys: z.array(Jwk) }).openapi("Jwks");
