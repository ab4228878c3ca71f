import { describe, expect, it } from "vitest";
import { ADMIN_SCOPES, insufficientScope, normalizeScopes, scopeAllows } from "./scopes.ts";

describe("admin token scopes", () => {
  it("lets a scope, its :write (for a :read) and admin through, and nothing else", () => {
    expect(scopeAllows(["agents:read"], "agents:read")).toBe(true);
    expect(scopeAllows(["agents:write"], "agents:read")).toBe(true);
    expect(scopeAllows(["agents:read"], "agents:write")).toBe(false);
    expect(scopeAllows(["users:write"], "agents:read")).toBe(false);
    expect(scopeAllows(["policies:write", "audit:write"], "admin")).toBe(false);
    expect(scopeAllows([], "agents:read")).toBe(false);
    for (const needed of ADMIN_SCOPES) expect(scopeAllows(["admin"], needed), needed).toBe(true);
  });

  it("normalises what is given: none is admin, duplicates go, canonical order, admin stands alone; unknown ones are named", () => {
    expect(normalizeScopes(undefined)).toEqual({ scopes: ["admin"] });
    expect(normalizeScopes([])).toEqual({ scopes: ["admin"] });
    expect(normalizeScopes(["webhooks:read", "agents:write", "webhooks:read"])).toEqual({ scopes: ["agents:write", "webhooks:read"] });
    expect(normalizeScopes(["agents:write", "admin"])).toEqual({ scopes: ["admin"] });
    expect(normalizeScopes(["agents:write", "root", "Agents:Read", "root"])).toEqual({ unknown: ["root", "Agents:Read"] });
  });

  it("names the needed scope, and what else would do, in the refusal", () => {
    expect(insufficientScope("audit:read")).toBe("this admin token lacks the scope audit:read (audit:write or admin would do)");
    expect(insufficientScope("audit:write")).toBe("this admin token lacks the scope audit:write (admin would do)");
    expect(insufficientScope("admin")).toBe("this admin token lacks the scope admin");
  });
});
