import { afterEach, describe, expect, it } from "vitest";
import { resetEnv } from "../env.ts";
import { addressBucket, CLIENT_ADDRESS_HEADER, clientAddress } from "./client-address.ts";

const from = (address: string, extra: Record<string, string> = {}) => new Headers({ [CLIENT_ADDRESS_HEADER]: address, ...extra });

describe("clientAddress", () => {
  it("gives an IPv4-mapped IPv6 socket address as the IPv4 address", () => {
    expect(clientAddress(from("::ffff:127.0.0.2"))).toBe("127.0.0.2");
    expect(clientAddress(from("2001:db8::1"))).toBe("2001:db8::1");
  });

  it("ignores X-Forwarded-For unless a proxy is trusted, and anything that is not an address", () => {
    expect(clientAddress(from("192.0.2.7", { "x-forwarded-for": "203.0.113.1" }))).toBe("192.0.2.7");
    expect(clientAddress(from("not an address"))).toBe("unknown");
    expect(clientAddress(new Headers())).toBe("unknown");
  });
});

describe("clientAddress behind a trusted proxy", () => {
  afterEach(() => {
    delete process.env.COUNTERSIGN_TRUST_PROXY;
    resetEnv();
  });

  it("takes the entry the proxy appended, not what the client put before it", () => {
    process.env.COUNTERSIGN_TRUST_PROXY = "true";
    resetEnv();
    expect(clientAddress(from("10.0.0.2", { "x-forwarded-for": "203.0.113.99, 198.51.100.4" }))).toBe("198.51.100.4");
    expect(clientAddress(from("10.0.0.2", { "x-forwarded-for": "198.51.100.4" }))).toBe("198.51.100.4");
    expect(clientAddress(from("10.0.0.2"))).toBe("10.0.0.2");
  });
});

describe("addressBucket", () => {
  it("counts IPv4 per address and IPv6 per /64", () => {
    expect(addressBucket("192.0.2.7")).toBe("192.0.2.7");
    expect(addressBucket("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(addressBucket("2001:db8:1:2:aaaa::1")).toBe(addressBucket("2001:db8:1:2:ffff:1:2:3"));
    expect(addressBucket("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:db8:1:3::1")).not.toBe(addressBucket("2001:db8:1:2::1"));
  });
});
