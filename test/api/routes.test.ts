import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { encodePrincipal, PRINCIPAL_HEADER } from "../../lib/auth/principal-header.ts";
import { Router } from "../../lib/http/router.ts";
import { ROUTES } from "../../lib/routes/index.ts";
import { baseUrl } from "../support/fixtures.ts";

// The route table is the only place an endpoint is defined: the server
// answers each of its routes (not Next.js), nothing else answers under /api,
// and no route is defined twice.

const ROOT = path.resolve(import.meta.dirname, "../..");

/** A concrete path for a template: each `{param}` becomes a value no resource has. */
const concrete = (template: string) => template.replace(/\{\w+\}/g, "no-such-thing");

describe("the route table", () => {
  it("defines each method and path once", () => {
    expect(() => new Router(ROUTES)).not.toThrow();
    expect(() => new Router([...ROUTES, ROUTES[0]])).toThrow(/defined twice/);
  });

  it("is the only definition: no Next.js route handlers under app/api or app/.well-known", () => {
    const handlers = ["app/api", "app/.well-known"].flatMap((dir) => {
      try {
        return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile() && /^route\.(ts|tsx|js)$/.test(e.name))
          .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
      } catch {
        return [];
      }
    });
    expect(handlers).toEqual([]);
  });

  it("answers every route from the server, as JSON or the route's own media type, never a page", async () => {
    for (const route of ROUTES) {
      const res = await fetch(baseUrl() + concrete(route.path), {
        method: route.method,
        headers: route.method === "GET" ? {} : { "content-type": "application/json", origin: baseUrl() },
        body: route.method === "GET" ? undefined : "{}",
        signal: AbortSignal.timeout(10_000),
      });
      const type = res.headers.get("content-type") ?? "";
      const label = `${route.method} ${route.path} → ${res.status} ${type}`;
      expect(type, label).toMatch(/^(application\/(json|problem\+json)|text\/plain|text\/event-stream)/);
      expect(res.status, label).not.toBe(405);
      await res.body?.cancel();
    }
  });

  it("answers an unknown API path with a 404 problem and a known path's other methods with 405 and Allow", async () => {
    const unknown = await fetch(`${baseUrl()}/api/v1/no-such-endpoint`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await unknown.json()).code).toBe("not_found");

    const wrong = await fetch(`${baseUrl()}/api/v1/grants/redeem`, { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect((await wrong.json()).code).toBe("method_not_allowed");
  });

  it("gives every API answer the API's security headers", async () => {
    const res = await fetch(`${baseUrl()}/api/health`);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("lets pages trust only the server on who is signed in: a forged principal header is dropped", async () => {
    const forged = encodePrincipal({ id: "usr_forged", email: "forged@example.test", name: null, role: "admin" });
    for (const page of ["/", "/admin/agents", "/audit"]) {
      const res = await fetch(baseUrl() + page, { headers: { [PRINCIPAL_HEADER]: forged }, redirect: "manual" });
      expect(res.status, page).toBe(307);
      expect(res.headers.get("location"), page).toContain("/signin");
      await res.body?.cancel();
    }
  });
});
