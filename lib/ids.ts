import "server-only";
import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * Time-ordered opaque ids with a type prefix (`req_…`, `agt_…`): 10 characters
 * of millisecond time then 16 random ones, so ordering by id orders by
 * creation time, which keyset pagination relies on.
 */
export function newId(prefix: "agt" | "req" | "grt" | "usr" | "vot" | "key" | "pol" | "dln"): string {
  let time = Date.now();
  let head = "";
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytes(16);
  let tail = "";
  for (const b of bytes) tail += CROCKFORD[b % 32];
  return `${prefix}_${head}${tail}`;
}

const ID_SHAPE = /^[a-z]{3}_[0-9a-z]{26}$/;

/**
 * Whether `id` has the shape of an id of this type. Checked before querying,
 * so a malformed id from a URL is a plain "not found" and never reaches SQL.
 */
export function isId(prefix: "agt" | "req" | "grt" | "usr", id: string): boolean {
  return id.startsWith(`${prefix}_`) && ID_SHAPE.test(id);
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A base62 secret with at least `bytes` bytes of entropy (rejection-sampled, no bias). */
export function randomSecret(bytes = 32): string {
  const length = Math.ceil((bytes * 8) / Math.log2(62));
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}
