import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateAgentKey, parseAgentKey } from "./keys.ts";

describe("agent keys", () => {
  it("look like csk_<id>_<secret> and store only the secret's SHA-256", () => {
    const key = generateAgentKey();
    expect(key.plaintext).toMatch(/^csk_[0-9A-Za-z]+_[0-9A-Za-z]{43,}$/);
    const parsed = parseAgentKey(key.plaintext);
    expect(parsed).toEqual({ id: key.id, secret: expect.any(String) });
    expect(key.secretHash).toBe(createHash("sha256").update(parsed!.secret).digest("hex"));
    expect(key.secretHash).not.toContain(parsed!.secret);
  });

  it("are different every time", () => {
    const a = generateAgentKey();
    const b = generateAgentKey();
    expect(a.id).not.toBe(b.id);
    expect(a.plaintext).not.toBe(b.plaintext);
  });

  it.each([
    ["empty", ""],
    ["wrong prefix", `csa_${"a".repeat(13)}_${"b".repeat(43)}`],
    ["no prefix", `${"a".repeat(13)}_${"b".repeat(43)}`],
    ["short id", `csk_${"a".repeat(11)}_${"b".repeat(43)}`],
    ["short secret", `csk_${"a".repeat(13)}_${"b".repeat(39)}`],
    ["extra part", `csk_${"a".repeat(13)}_${"b".repeat(43)}_c`],
    ["non-base62 secret", `csk_${"a".repeat(13)}_${"b".repeat(42)}-`],
    ["trailing space", `csk_${"a".repeat(13)}_${"b".repeat(43)} `],
    ["newline", `csk_${"a".repeat(13)}_${"b".repeat(43)}\n`],
  ])("parseAgentKey refuses %s", (_name, value) => {
    expect(parseAgentKey(value)).toBeNull();
  });
});
