import { describe, expect, it } from "vitest";
import { effectiveStatus } from "./serialize-request.ts";

const now = new Date("2026-11-23T12:00:00.000Z");
const at = (ms: number) => new Date(now.getTime() + ms);

describe("effectiveStatus", () => {
  it("keeps a pending request pending until its deadline", () => {
    expect(effectiveStatus({ status: "pending", expiresAt: at(1) }, now)).toBe("pending");
  });

  it("reads an overdue pending request as expired, from the deadline itself", () => {
    expect(effectiveStatus({ status: "pending", expiresAt: at(0) }, now)).toBe("expired");
    expect(effectiveStatus({ status: "pending", expiresAt: at(-60_000) }, now)).toBe("expired");
  });

  it("never changes a terminal status", () => {
    for (const status of ["approved", "denied", "expired", "cancelled"] as const) {
      expect(effectiveStatus({ status, expiresAt: at(-60_000) }, now)).toBe(status);
      expect(effectiveStatus({ status, expiresAt: at(60_000) }, now)).toBe(status);
    }
  });

  it("uses the current time by default", () => {
    expect(effectiveStatus({ status: "pending", expiresAt: new Date(Date.now() - 1) })).toBe("expired");
    expect(effectiveStatus({ status: "pending", expiresAt: new Date(Date.now() + 60_000) })).toBe("pending");
  });
});
