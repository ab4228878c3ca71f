import { beforeAll, describe, expect, it } from "vitest";
import { baseUrl, newUser, signIn, type TestUser } from "../support/fixtures.ts";

/** `callbackUrl` values that once led off-site (or to a 500), as a link would carry them in the query. */
const HOSTILE = [
  "/%09/evil.example",
  "/%0a/evil.example",
  "/%5Cevil.example",
  "/%5C%5Cevil.example",
  "//evil.example",
  "/%2F%2Fevil.example",
  "/.//evil.example",
  "https://evil.example",
  "javascript:alert(1)",
  "/%0d%0aSet-Cookie:x=1",
  "/%0d",
  "%09/evil",
  "%20/evil",
];

/** Where a browser would go with this Location header, resolved against the page that sent it. */
function destination(location: string | null): URL {
  expect(location).not.toBeNull();
  return new URL(location!, `${baseUrl()}/signin`);
}

let cookie: string;
let user: TestUser;
beforeAll(async () => {
  user = await newUser("reviewer");
  cookie = await signIn(user);
});

describe("signing in with a callbackUrl", () => {
  it.each(HOSTILE)("a signed-in visitor to /signin?callbackUrl=%s stays on this origin, without a 5xx", async (raw) => {
    const res = await fetch(`${baseUrl()}/signin?callbackUrl=${raw}`, { headers: { cookie }, redirect: "manual" });
    await res.arrayBuffer();
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(400);
    const to = destination(res.headers.get("location"));
    expect(to.origin).toBe(new URL(baseUrl()).origin);
    expect(to.pathname).toBe("/");
    expect(res.headers.getSetCookie().some((c) => c.startsWith("x="))).toBe(false);
  });

  it.each(HOSTILE)("the sign-in page with callbackUrl=%s renders (no 5xx) and carries only a safe path", async (raw) => {
    const res = await fetch(`${baseUrl()}/signin?callbackUrl=${raw}`, { redirect: "manual" });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('name="callbackUrl" value="/"');
  });

  // A few, with one account: every sign-in of the suite counts against the per-address limit.
  it.each(["/%09/evil.example", "/%5Cevil.example", "//evil.example", "https://evil.example", "/%0d%0aSet-Cookie:x=1"])(
    "the credentials sign-in with callbackUrl=%s sends the person back to this origin",
    async (raw) => {
      const csrfRes = await fetch(`${baseUrl()}/api/auth/csrf`);
      const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
      const csrfCookie = csrfRes.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      const res = await fetch(`${baseUrl()}/api/auth/callback/credentials`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, origin: baseUrl() },
        body: `${new URLSearchParams({ csrfToken, email: user.email, password: user.password })}&callbackUrl=${raw}`,
      });
      await res.arrayBuffer();
      expect(res.headers.getSetCookie().some((c) => c.startsWith("authjs.session-token="))).toBe(true);
      const to = destination(res.headers.get("location"));
      expect(to.origin).toBe(new URL(baseUrl()).origin);
      expect(to.pathname).toBe("/");
    },
  );

  it("keeps an ordinary same-origin return path", async () => {
    const res = await fetch(`${baseUrl()}/signin?callbackUrl=${encodeURIComponent("/history?status=approved")}`, { headers: { cookie }, redirect: "manual" });
    await res.arrayBuffer();
    expect(destination(res.headers.get("location")).href).toBe(`${baseUrl()}/history?status=approved`);
  });
});
