import { afterEach, describe, expect, it, vi } from "vitest";
import { newId, randomSecret } from "./ids.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("newId", () => {
  it("is the prefix, an underscore and 26 lowercase Crockford base32 characters", () => {
    for (const prefix of ["agt", "req", "grt", "usr", "vot", "key", "pol"] as const) {
      expect(newId(prefix)).toMatch(new RegExp(`^${prefix}_[0-9abcdefghjkmnpqrstvwxyz]{26}$`));
    }
  });

  it("is unique", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId("req")));
    expect(ids.size).toBe(10_000);
  });

  it("sorts by creation time, across digit boundaries of its time prefix", () => {
    vi.useFakeTimers();
    const times = [0, 1, 31, 32, 1023, 1024, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, Date.UTC(2099, 11, 31)];
    const ids = times.map((t) => {
      vi.setSystemTime(t);
      return newId("req");
    });
    expect([...ids].sort()).toEqual(ids);
  });

  it("encodes the millisecond time in the first 10 characters", () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    expect(newId("req").slice(4, 14)).toBe("0000000000");
    vi.setSystemTime(33);
    expect(newId("req").slice(4, 14)).toBe("0000000011");
  });
});

describe("randomSecret", () => {
  it("is base62 with at least 32 bytes of entropy by default", () => {
    const s = randomSecret();
    expect(s).toMatch(/^[0-9A-Za-z]+$/);
    expect(s.length).toBe(43);
    expect(s.length * Math.log2(62)).toBeGreaterThanOrEqual(256);
  });

  it("scales its length with the requested entropy", () => {
    expect(randomSecret(9).length).toBe(Math.ceil(72 / Math.log2(62)));
    expect(randomSecret(64).length).toBe(Math.ceil(512 / Math.log2(62)));
  });

  it("uses the whole alphabet and does not repeat", () => {
    const many = Array.from({ length: 500 }, () => randomSecret());
    expect(new Set(many).size).toBe(500);
    const seen = new Set(many.join(""));
    expect(seen.size).toBe(62);
  });
});
