import { describe, expect, it } from "vitest";
import { newNonce, nonceOf, pageCsp } from "./security-headers.ts";

const directive = (csp: string, name: string) => csp.split("; ").find((d) => d.startsWith(`${name} `));

describe("page CSP", () => {
  it("allows scripts only by this response's nonce, never inline, never eval in production", () => {
    const nonce = newNonce();
    const csp = pageCsp(nonce, true);
    expect(directive(csp, "script-src")).toBe(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(nonceOf(new Headers({ "content-security-policy": csp }))).toBe(nonce);
    expect(directive(pageCsp(nonce, false), "script-src")).toContain("'unsafe-eval'");
  });

  it("makes a fresh 128-bit nonce each time", () => {
    const nonces = new Set(Array.from({ length: 1000 }, newNonce));
    expect(nonces.size).toBe(1000);
    for (const n of nonces) expect(Buffer.from(n, "base64")).toHaveLength(16);
  });

  it("refuses to render a page without a nonce", () => {
    expect(() => nonceOf(new Headers())).toThrow(/nonce/);
  });
});
