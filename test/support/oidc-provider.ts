import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration } from "oidc-provider";

/**
 * A real OpenID Connect provider (the `oidc-provider` package) for tests, on
 * 127.0.0.1 over plain http. It knows one confidential client and a fixed set
 * of accounts; its login and consent "pages" are a minimal interaction API
 * (below) instead of the package's HTML dev interactions:
 *
 *   GET  /interaction/:uid          → {"uid", "prompt"} (the pending prompt: "login" or "consent")
 *   POST /interaction/:uid/login    form `login=<account id>` → 303 back into the provider (404 for an unknown account)
 *   POST /interaction/:uid/consent  → grants what the client asked for, 303 back into the provider
 */
export interface TestAccount {
  sub: string;
  email: string;
  name: string;
  email_verified?: boolean;
}

export interface TestIssuer {
  /** The issuer identifier, e.g. `http://127.0.0.1:4567`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /**
   * Registers the client with its redirect URIs and starts answering as an
   * OpenID provider (until then every request gets 503). Separate from the
   * start so the issuer URL can be handed to an app before the app's own URL
   * (its callback) is known.
   */
  registerClient(redirectUris: string[]): Provider;
  /**
   * An ID token for anyone, signed with the provider's own key (the one its
   * JWKS publishes), as the provider would issue it to `clientId`: `iss`,
   * `aud`, `iat`, `exp` (10 minutes) and the given claims, which override
   * those. `key` signs with another key under the same `kid` instead (a bad
   * signature).
   */
  mintIdToken(claims: Record<string, unknown>, options?: { key?: KeyObject; alg?: string }): Promise<string>;
  stop(): Promise<void>;
}

export interface TestIssuerOptions {
  clientId: string;
  clientSecret: string;
  accounts: TestAccount[];
  /**
   * oidc-provider's default (true) follows OIDC Core §5.4 strictly: with the
   * code flow, scope-requested claims (email, name) are only served by the
   * UserInfo endpoint and the ID token carries just `sub`. False puts them in
   * the ID token too, as Google, Entra ID, Keycloak and Okta do.
   */
  conformIdTokenClaims?: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}

/** Starts listening on a free port of 127.0.0.1 at once; call `registerClient` before use. */
export async function startTestIssuer(options: TestIssuerOptions): Promise<TestIssuer> {
  const { clientId, clientSecret } = options;
  const accounts = new Map(options.accounts.map((a) => [a.sub, a]));
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  let provider: Provider | undefined;
  let callback: ReturnType<Provider["callback"]> | undefined;

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined): Promise<void> {
    const op = provider!;
    const details = await op.interactionDetails(req, res);
    if (details.uid !== uid) return json(res, 400, { error: "interaction cookie does not match the url" });
    if (req.method === "GET" && action === undefined) {
      return json(res, 200, { uid: details.uid, prompt: details.prompt.name, client_id: details.params.client_id });
    }
    if (req.method !== "POST") return json(res, 405, { error: "method not allowed" });
    if (action === "login") {
      if (details.prompt.name !== "login") return json(res, 409, { error: `expected prompt login, got ${details.prompt.name}` });
      const login = new URLSearchParams(await readBody(req)).get("login") ?? "";
      if (!accounts.has(login)) return json(res, 404, { error: "unknown account" });
      return op.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    }
    if (action === "consent") {
      if (details.prompt.name !== "consent") return json(res, 409, { error: `expected prompt consent, got ${details.prompt.name}` });
      const promptDetails = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      const grant = details.grantId
        ? await op.Grant.find(details.grantId)
        : new op.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
      if (!grant) return json(res, 400, { error: "grant not found" });
      if (promptDetails.missingOIDCScope) grant.addOIDCScope(promptDetails.missingOIDCScope.join(" "));
      if (promptDetails.missingOIDCClaims) grant.addOIDCClaims(promptDetails.missingOIDCClaims);
      const grantId = await grant.save();
      return op.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    return json(res, 404, { error: "unknown interaction action" });
  }

  const server = createServer((req, res) => {
    if (!callback) return json(res, 503, { error: "the test issuer has no client registered yet" });
    const match = /^\/interaction\/([^/?]+)(?:\/(login|consent))?(?:\?.*)?$/.exec(req.url ?? "");
    if (!match) return callback(req, res);
    interaction(req, res, match[1], match[2]).catch((err: unknown) => {
      if (!res.headersSent) json(res, 400, { error: String(err) });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    clientId,
    clientSecret,
    registerClient(redirectUris) {
      if (provider) throw new Error("the client is already registered");
      const configuration: Configuration = {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: redirectUris,
            grant_types: ["authorization_code"],
            response_types: ["code"],
            // What Auth.js sends when the provider config sets no `client.token_endpoint_auth_method`.
            token_endpoint_auth_method: "client_secret_basic",
          },
        ],
        jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "test-key", use: "sig", alg: "RS256" }] as never },
        cookies: { keys: [randomBytes(32).toString("hex")] },
        claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
        conformIdTokenClaims: options.conformIdTokenClaims ?? true,
        pkce: { required: () => true },
        features: { devInteractions: { enabled: false } },
        interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
        async findAccount(_ctx, sub) {
          const account = accounts.get(sub);
          if (!account) return undefined;
          return {
            accountId: sub,
            claims: async () => ({ sub, email: account.email, email_verified: account.email_verified ?? true, name: account.name }),
          };
        },
      };
      provider = new Provider(issuer, configuration);
      callback = provider.callback();
      return provider;
    },
    async mintIdToken(claims, mint = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud: clientId, iat: now, exp: now + 600, ...claims })
        .setProtectedHeader({ alg: mint.alg ?? "RS256", kid: "test-key", typ: "JWT" })
        .sign(mint.key ?? privateKey);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
