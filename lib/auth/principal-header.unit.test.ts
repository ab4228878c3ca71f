import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resetEnv } from "../env.ts";
import { decodePrincipal, encodePrincipal } from "./principal-header.ts";

const alice = { id: "usr_1", email: "ålice@example.test", name: "Ålice ‮", role: "admin" as const, mustChangePassword: false };

describe("the page principal header", () => {
  const saved = process.env.AUTH_SECRET;
  beforeEach(() => {
    process.env.AUTH_SECRET = "a".repeat(40);
    resetEnv();
  });
  afterEach(() => {
    process.env.AUTH_SECRET = saved;
    resetEnv();
  });

  it("round-trips what the server wrote, as ASCII, whatever the name holds", () => {
    const header = encodePrincipal(alice);
    expect(header).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(decodePrincipal(header)).toEqual(alice);
  });

  it("carries a one-time password, so pages can send the user to change it", () => {
    expect(decodePrincipal(encodePrincipal({ ...alice, mustChangePassword: true }))?.mustChangePassword).toBe(true);
  });

  it("refuses a forged, altered or foreign-signed value", () => {
    const header = encodePrincipal(alice);
    const [payload, signature] = header.split(".");
    const forged = Buffer.from(JSON.stringify({ ...alice, id: "usr_2" })).toString("base64url");
    expect(decodePrincipal(`${forged}.${signature}`)).toBeNull();
    expect(decodePrincipal(payload)).toBeNull();
    expect(decodePrincipal(`${header}.x`)).toBeNull();
    expect(decodePrincipal(`${payload}.${signature.slice(0, -2)}`)).toBeNull();
    expect(decodePrincipal("")).toBeNull();
    process.env.AUTH_SECRET = "b".repeat(40);
    resetEnv();
    expect(decodePrincipal(header)).toBeNull();
  });
});
