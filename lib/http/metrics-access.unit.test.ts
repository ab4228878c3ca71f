import { describe, expect, it } from "vitest";
import { isLoopback, metricsAccess, type MetricsAccessInput } from "./metrics-access.ts";

const TOKEN = "metrics-token-0123456789";
const base: MetricsAccessInput = { enabled: true, token: undefined, address: "127.0.0.1", authorization: null };

describe("metrics access", () => {
  it("knows loopback addresses, IPv4-mapped ones included, and nothing else", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect({ a, loopback: isLoopback(a) }).toEqual({ a, loopback: true });
    for (const a of ["192.0.2.2", "10.0.0.1", "::ffff:10.0.0.1", "fd00::2", "0.0.0.0", "::", "unknown", "", "127.0.0.1.evil", "localhost"]) {
      expect({ a, loopback: isLoopback(a) }).toEqual({ a, loopback: false });
    }
  });

  it("answers loopback clients by default and refuses everyone else", () => {
    expect(metricsAccess(base)).toBe("allow");
    expect(metricsAccess({ ...base, address: "::1" })).toBe("allow");
    expect(metricsAccess({ ...base, address: "192.0.2.2" })).toBe("forbidden");
    expect(metricsAccess({ ...base, address: "unknown" })).toBe("forbidden");
  });

  it("with a token, answers it from anywhere in constant time, and refuses a missing or wrong one from elsewhere", () => {
    const withToken = { ...base, token: TOKEN, address: "192.0.2.2" };
    expect(metricsAccess({ ...withToken, authorization: `Bearer ${TOKEN}` })).toBe("allow");
    expect(metricsAccess({ ...withToken, authorization: `bearer ${TOKEN}` })).toBe("allow");
    expect(metricsAccess(withToken)).toBe("unauthenticated");
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, "Bearer ", `Basic ${TOKEN}`, TOKEN]) {
      expect({ authorization, access: metricsAccess({ ...withToken, authorization }) }).toEqual({ authorization, access: "unauthenticated" });
    }
    // A token that is sent must be right, from loopback too; none configured means none can be right.
    expect(metricsAccess({ ...withToken, address: "127.0.0.1", authorization: "Bearer wrong" })).toBe("unauthenticated");
    expect(metricsAccess({ ...base, authorization: `Bearer ${TOKEN}` })).toBe("unauthenticated");
  });

  it("is off when metrics are disabled, whoever asks", () => {
    expect(metricsAccess({ ...base, enabled: false })).toBe("disabled");
    expect(metricsAccess({ ...base, enabled: false, token: TOKEN, authorization: `Bearer ${TOKEN}` })).toBe("disabled");
  });
});
