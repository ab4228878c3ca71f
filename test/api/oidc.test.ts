import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sql } from "kysely";
import { db } from "../../lib/db.ts";
import { baseUrl, unique } from "../support/fixtures.ts";
import { startTestIssuer, type TestAccount, type TestIssuer } from "../support/oidc-provider.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";

const signIns = (userId: string) =>
  db().selectFrom("auditEvents").select("data").where("type", "=", "user.signed_in").where("actor", "=", `user:${userId}`).execute();

/** Cookies by name, as a browser would keep them for one site (paths are ignored: the flows here are sequential). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k, v = ""] = a.trim().split("=");
        if (k.toLowerCase() === "max-age") return Number(v) <= 0;
        if (k.toLowerCase() === "expires") return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

interface SsoResult {
  /** The app's answer to `GET /api/auth/callback/oidc?code=…&state=…`. */
  callback: Response;
  /** The redirect target of that answer. */
  location: URL;
  /** The session cookie (`authjs.session-token=…`) the app set, if any. */
  sessionCookie: string | null;
  /** The issuer's prompts this sign-in went through, in order. */
  prompts: string[];
}

/**
 * Signs in to `app` through the provider `oidc` as a browser would, with
 * `account` at `issuer`: Auth.js sign-in POST, the issuer's authorization
 * endpoint, its login and consent interactions, then the app's callback.
 */
async function ssoSignIn(app: TestApp, issuer: TestIssuer, issuerJar: CookieJar, account: TestAccount): Promise<SsoResult> {
  const appJar = new CookieJar();
  const csrfRes = await fetch(`${app.url}/api/auth/csrf`);
  expect(csrfRes.status).toBe(200);
  appJar.store(csrfRes);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };

  const start = await fetch(`${app.url}/api/auth/signin/oidc`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: appJar.header(), origin: app.url },
    body: new URLSearchParams({ csrfToken, callbackUrl: `${app.url}/` }),
  });
  await start.arrayBuffer();
  appJar.store(start);
  expect(start.status).toBe(302);
  let next = new URL(start.headers.get("location") ?? "", app.url);
  // Auth.js discovered the issuer and sends the browser to its authorization endpoint with PKCE, state and nonce.
  expect(`${next.origin}${next.pathname}`).toBe(`${issuer.issuer}/auth`);
  expect(next.searchParams.get("client_id")).toBe(issuer.clientId);
  expect(next.searchParams.get("redirect_uri")).toBe(`${app.url}/api/auth/callback/oidc`);
  expect(next.searchParams.get("code_challenge_method")).toBe("S256");
  expect(next.searchParams.get("state")).toBeTruthy();
  expect(next.searchParams.get("nonce")).toBeTruthy();
  expect(appJar.get("authjs.pkce.code_verifier")).toBeTruthy();

  const prompts: string[] = [];
  for (let step = 0; step < 12; step++) {
    if (next.origin === new URL(app.url).origin) {
      expect(next.pathname).toBe("/api/auth/callback/oidc");
      const callback = await fetch(next, { redirect: "manual", headers: { cookie: appJar.header() } });
      await callback.arrayBuffer();
      const session = callback.headers.getSetCookie().find((c) => c.startsWith("authjs.session-token="));
      return {
        callback,
        location: new URL(callback.headers.get("location") ?? "", app.url),
        sessionCookie: session ? session.split(";")[0] : null,
        prompts,
      };
    }
    expect(next.origin).toBe(issuer.issuer);
    const res = await fetch(next, { redirect: "manual", headers: { cookie: issuerJar.header() } });
    issuerJar.store(res);
    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer();
      next = new URL(res.headers.get("location") ?? "", next);
      continue;
    }
    const text = await res.text();
    if (res.status !== 200 || !next.pathname.startsWith("/interaction/")) {
      throw new Error(`unexpected answer from the issuer at ${next.pathname}: ${res.status} ${text}`);
    }
    const { uid, prompt } = JSON.parse(text) as { uid: string; prompt: string };
    prompts.push(prompt);
    const submit = await fetch(`${issuer.issuer}/interaction/${uid}/${prompt}`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: issuerJar.header() },
      body: new URLSearchParams(prompt === "login" ? { login: account.sub } : {}),
    });
    issuerJar.store(submit);
    const submitText = await submit.text();
    if (submit.status !== 303) throw new Error(`the issuer refused the ${prompt} submission: ${submit.status} ${submitText}`);
    next = new URL(submit.headers.get("location") ?? "", next);
  }
  throw new Error("too many redirects in the sign-in flow");
}

function reviewQueue(app: TestApp, cookie: string): Promise<Response> {
  return fetch(`${app.url}/api/v1/review/requests`, { headers: { cookie, origin: app.url } });
}

/**
 * Two kinds of real issuers. Where the user's claims (email, name) travel is
 * up to the issuer: many put them in the ID token, while a strict OIDC Core
 * §5.4 reading (oidc-provider's default, `conformIdTokenClaims: true`) serves
 * them only from the UserInfo endpoint when an access token is issued, as in
 * the code flow. SSO must work with both.
 */
const issuerKinds = [
  { kind: "an issuer that puts the claims in the ID token", conformIdTokenClaims: false },
  { kind: "an issuer that serves the claims only from UserInfo (OIDC Core 5.4, the oidc-provider default)", conformIdTokenClaims: true },
];

describe.each(issuerKinds)("single sign-on against a real OpenID Connect provider: $kind", ({ conformIdTokenClaims }) => {
  let issuer: TestIssuer | undefined;
  let app: TestApp | undefined;
  const account: TestAccount = {
    sub: unique("sub"),
    // Mixed case, as some directories return it: the app must match accounts case-insensitively.
    email: `${unique("Sso.User")}@Example.Test`,
    name: "Sam Sso",
  };
  const email = account.email.toLowerCase();

  beforeAll(async () => {
    // The issuer listens first so its URL can go into the app's environment; the app only talks to
    // it on sign-in (discovery is lazy: until the client is registered the issuer answers 503), and
    // the client registration needs the app's callback URL.
    issuer = await startTestIssuer({
      clientId: unique("countersign"),
      clientSecret: randomBytes(24).toString("base64url"),
      accounts: [account],
      conformIdTokenClaims,
    });
    app = await startTestApp(inject("databaseUrl"), {
      AUTH_OIDC_ISSUER: issuer.issuer,
      AUTH_OIDC_CLIENT_ID: issuer.clientId,
      AUTH_OIDC_CLIENT_SECRET: issuer.clientSecret,
      AUTH_OIDC_NAME: "Test SSO",
    });
    issuer.registerClient([`${app.url}/api/auth/callback/oidc`]);
  });

  afterAll(async () => {
    await Promise.allSettled([app?.stop(), issuer?.stop()]);
  });

  it("lists the provider under its configured name (and only where it is configured)", async () => {
    const res = await fetch(`${app!.url}/api/auth/providers`);
    expect(res.status).toBe(200);
    const providers = (await res.json()) as Record<string, { id: string; name: string; type: string; callbackUrl: string }>;
    expect(providers.oidc).toMatchObject({ id: "oidc", name: "Test SSO", type: "oidc", callbackUrl: `${app!.url}/api/auth/callback/oidc` });
    expect(providers.credentials).toMatchObject({ id: "credentials" });

    const plain = (await (await fetch(`${baseUrl()}/api/auth/providers`)).json()) as Record<string, unknown>;
    expect(Object.keys(plain)).toEqual(["credentials"]);
  });

  it("signs a new user in, creates them as a reviewer without a password, and ends it all when they are disabled", async () => {
    const issuerJar = new CookieJar();
    const first = await ssoSignIn(app!, issuer!, issuerJar, account);
    expect(first.prompts).toEqual(["login", "consent"]);
    expect(first.callback.status).toBe(302);
    // `/signin?error=AccessDenied` here means the app's signIn callback refused the profile (e.g. no `email` in it).
    expect(first.location.href, "where the app sent the browser after the callback").toBe(`${app!.url}/`);
    expect(first.sessionCookie).toMatch(/^authjs\.session-token=.+/);
    const cookie = first.sessionCookie!;

    // The session works on the API.
    const queue = await reviewQueue(app!, cookie);
    expect(queue.status).toBe(200);
    await queue.arrayBuffer();
    const session = (await (await fetch(`${app!.url}/api/auth/session`, { headers: { cookie } })).json()) as { user?: Record<string, unknown> };
    expect(session.user).toMatchObject({ email, name: "Sam Sso", role: "reviewer" });

    // The account was created on first sign-in, with the default role and no password.
    const user = await db().selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst();
    expect(user).toMatchObject({ email, name: "Sam Sso", role: "reviewer", passwordHash: null, disabled: false });
    expect(user!.lastSignInAt).toBeInstanceOf(Date);
    expect(session.user?.id).toBe(user!.id);
    const created = await db()
      .selectFrom("auditEvents")
      .select("data")
      .where("type", "=", "user.created")
      .where(sql<string>`data->>'user_id'`, "=", user!.id)
      .executeTakeFirst();
    expect(created?.data).toMatchObject({ email, role: "reviewer", via: "oidc" });
    const signedIn = await signIns(user!.id);
    expect(signedIn).toHaveLength(1);
    expect(signedIn[0].data).toMatchObject({ method: "oidc" });

    // Disabling the user ends the existing session at once ...
    await db().updateTable("users").set({ disabled: true }).where("id", "=", user!.id).execute();
    const refused = await reviewQueue(app!, cookie);
    expect(refused.status).toBe(401);
    await refused.arrayBuffer();

    // ... and a fresh SSO sign-in (the issuer still vouches for them: its session and grant skip the prompts) is refused.
    const again = await ssoSignIn(app!, issuer!, issuerJar, account);
    expect(again.prompts).toEqual([]);
    expect(again.sessionCookie).toBeNull();
    expect(again.callback.status).toBe(302);
    expect(again.location.pathname).toBe("/signin");
    expect(again.location.searchParams.get("error")).toBe("AccessDenied");
    expect(await signIns(user!.id)).toHaveLength(1);
  });
});
