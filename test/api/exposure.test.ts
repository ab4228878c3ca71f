import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { randomBytes } from "node:crypto";
import { baseUrl, expectProblem } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";

// Issue 11, finding 9: metrics only for this machine or a token; page scripts only by a nonce per response.

const directive = (csp: string, name: string) => csp.split("; ").find((d) => d.startsWith(`${name} `)) ?? "";

async function page(path: string): Promise<{ csp: string; nonce: string; scriptNonces: (string | null)[] }> {
  const res = await fetch(baseUrl() + path);
  expect(res.status).toBe(200);
  const csp = res.headers.get("content-security-policy") ?? "";
  const html = await res.text();
  const scriptNonces = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => /\snonce="([^"]*)"/.exec(m[1])?.[1] ?? null);
  return { csp, nonce: /'nonce-([^']+)'/.exec(directive(csp, "script-src"))?.[1] ?? "", scriptNonces };
}

describe("content security policy", () => {
  it.each(["/signin", "/docs/api"])("%s: scripts run only by a fresh nonce per response, never inline", async (path) => {
    const [a, b] = [await page(path), await page(path)];
    for (const p of [a, b]) {
      const scripts = directive(p.csp, "script-src");
      expect(scripts).toMatch(/^script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic'$/);
      expect(scripts).not.toContain("unsafe-inline");
      expect(p.csp).toContain("frame-ancestors 'none'");
      // Every script element of the page carries this response's nonce.
      expect(p.scriptNonces.length).toBeGreaterThan(0);
      expect(new Set(p.scriptNonces)).toEqual(new Set([p.nonce]));
    }
    expect(a.nonce).not.toBe(b.nonce);
  });

  it("API responses load nothing at all", async () => {
    for (const path of ["/api/v1/openapi.json", "/api/health"]) {
      const res = await fetch(baseUrl() + path);
      await res.arrayBuffer();
      expect({ path, csp: res.headers.get("content-security-policy") }).toEqual({
        path,
        csp: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      });
    }
  });
});

describe("metrics", () => {
  const token = randomBytes(24).toString("base64url");
  let behindProxy: TestApp;

  beforeAll(async () => {
    // An app behind a (trusted) proxy, so a test can be a client from another machine: the proxy's X-Forwarded-For says so.
    behindProxy = await startTestApp(inject("databaseUrl"), { COUNTERSIGN_TRUST_PROXY: "true", COUNTERSIGN_METRICS_TOKEN: token });
  }, 150_000);
  afterAll(async () => {
    await behindProxy?.stop();
  });

  it("answer a client on this machine, whatever address header it sends", async () => {
    const res = await fetch(`${baseUrl()}/api/metrics`, { headers: { "x-countersign-client-address": "192.0.2.9" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("countersign_review_streams");
  });

  it("refuse a client from another machine without the token, and answer it with the token", async () => {
    const from = (forwardedFor: string, authorization?: string) =>
      fetch(`${behindProxy.url}/api/metrics`, { headers: { "x-forwarded-for": forwardedFor, ...(authorization ? { authorization } : {}) } });
    await expectProblem(await from("203.0.113.9"), 401, "unauthenticated");
    // The client wrote the first entry; the proxy appended the last one, which is the address that counts.
    await expectProblem(await from("127.0.0.1, 203.0.113.9"), 401, "unauthenticated");
    await expectProblem(await from("203.0.113.9", `Bearer ${token}x`), 401, "unauthenticated");
    const ok = await from("203.0.113.9", `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("nodejs_version_info");
    // Still open to this machine.
    expect((await from("127.0.0.1")).status).toBe(200);
  });
});
