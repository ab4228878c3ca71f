import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import canonicalize from "canonicalize";

export function sha256Hex(input: string | Buffer): string {
  return createHash("sha256").update(input).digest("hex");
}

/** RFC 8785 (JSON Canonicalization Scheme) serialisation. */
export function canonicalJson(value: unknown): string {
  const out = canonicalize(value);
  if (out === undefined) throw new Error("value cannot be canonicalised");
  return out;
}

/** SHA-256 of the canonical JSON: what grants bind parameters with. */
export function canonicalSha256(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** Constant-time comparison of two hex or text secrets of any length. */
export function safeEqual(a: string, b: string): boolean {
  // Hash both sides so the comparison is over equal lengths and leaks nothing about either.
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
