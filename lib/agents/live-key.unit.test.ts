import { describe, expect, it } from "vitest";
import { isLiveKey, liveKeySql } from "./live-key.ts";

describe("the live-key rule", () => {
  const now = new Date("2026-12-01T12:00:00Z");
  const later = new Date("2026-12-02T00:00:00Z");
  const earlier = new Date("2026-11-30T00:00:00Z");

  it("a key is live until it is revoked or expires", () => {
    expect(isLiveKey({ revokedAt: null, expiresAt: null }, now)).toBe(true);
    expect(isLiveKey({ revokedAt: null, expiresAt: later }, now)).toBe(true);
    expect(isLiveKey({ revokedAt: null, expiresAt: now }, now)).toBe(false);
    expect(isLiveKey({ revokedAt: null, expiresAt: earlier }, now)).toBe(false);
    expect(isLiveKey({ revokedAt: earlier, expiresAt: later }, now)).toBe(false);
  });

  it("says the same in SQL", () => {
    expect(liveKeySql("k")).toBe("k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())");
  });
});
