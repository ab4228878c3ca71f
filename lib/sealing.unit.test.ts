import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetEnv } from "./env.ts";
import { seal, unseal } from "./sealing.ts";

const SECRET = `${"x".repeat(32)}-fixture-secret`;
// Sealed under SECRET by the two copies this helper replaced (webhook and callback secrets; the grant signing key).
const STORED = {
  webhook: "v1.ZK5S5ILzNPu1a24W.KRLZOwNt4f7MVX5kojslIg._LpBqsd_KhBALFFMY7ujqwV2kNNaGkxw2a_3k5rt_Yg6rxMq7uctc2rZngr10pgKN24",
  signingKey: "v1.5DdVxh7GQ_ZqiNvK.91sBmbYenymnKrGRrbOYJA.rxU2i3U",
};

let saved: string | undefined;
beforeAll(() => {
  saved = process.env.COUNTERSIGN_KEY_SECRET;
  process.env.COUNTERSIGN_KEY_SECRET = SECRET;
  resetEnv();
});
afterAll(() => {
  if (saved === undefined) delete process.env.COUNTERSIGN_KEY_SECRET;
  else process.env.COUNTERSIGN_KEY_SECRET = saved;
  resetEnv();
});

describe("sealing", () => {
  it("opens what was stored before there was one helper", () => {
    expect(unseal("webhook-secret-v1", STORED.webhook).toString("utf8")).toBe("whsec_c2VhbGVkIGJlZm9yZSB0aGUgaGVscGVycyBtZXJnZWQ=");
    expect(unseal("grant-signing-key-v1", STORED.signingKey).toString("hex")).toBe("00010203ff");
  });

  it("round-trips text and bytes, with a fresh nonce each time", () => {
    const a = seal("webhook-secret-v1", "whsec_abc");
    expect(a).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(seal("webhook-secret-v1", "whsec_abc")).not.toBe(a);
    expect(unseal("webhook-secret-v1", a).toString("utf8")).toBe("whsec_abc");
    expect(unseal("grant-signing-key-v1", seal("grant-signing-key-v1", Buffer.from([0, 255]))).equals(Buffer.from([0, 255]))).toBe(true);
  });

  it("refuses another purpose, an altered value and an unknown format", () => {
    expect(() => unseal("grant-signing-key-v1", STORED.webhook)).toThrow();
    const [v, iv, tag, body] = STORED.webhook.split(".");
    const flipped = `${body[0] === "A" ? "B" : "A"}${body.slice(1)}`;
    expect(() => unseal("webhook-secret-v1", [v, iv, tag, flipped].join("."))).toThrow();
    expect(() => unseal("webhook-secret-v1", `v2.${iv}.${tag}.${body}`)).toThrow(/unknown sealed secret format/);
  });
});
