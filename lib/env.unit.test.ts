import { describe, expect, it } from "vitest";
import { parseEnv } from "./env.ts";

describe("the environment", () => {
  it("has a default for what is unset, and an empty value counts as unset", () => {
    const e = parseEnv({ PORT: "", DATABASE_URL: "", COUNTERSIGN_SMTP_URL: "", COUNTERSIGN_RISK_SIGNALS: "" });
    expect([e.PORT, e.DATABASE_URL, e.COUNTERSIGN_SMTP_URL, e.COUNTERSIGN_RISK_SIGNALS]).toEqual([3000, undefined, undefined, true]);
  });

  it("reads every boolean the same way", () => {
    for (const [text, value] of [
      ["true", true],
      ["1", true],
      ["yes", true],
      ["false", false],
      ["0", false],
      ["no", false],
    ] as const) {
      const e = parseEnv({
        COUNTERSIGN_METRICS: text,
        COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE: text,
        COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS: text,
        COUNTERSIGN_ALLOW_HTTP_WEBHOOKS: text,
      });
      expect([e.COUNTERSIGN_METRICS, e.COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE, e.COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS, e.COUNTERSIGN_ALLOW_HTTP_WEBHOOKS]).toEqual([
        value,
        value,
        value,
        value,
      ]);
    }
    expect(() => parseEnv({ COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS: "on" })).toThrow(
      /^Invalid configuration:\n {2}COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS: must be true, false/,
    );
  });

  it("takes counts and durations in whole numbers, and names each variable that is wrong", () => {
    expect(parseEnv({ COUNTERSIGN_DELIVERY_INTERVAL_SECONDS: "2", COUNTERSIGN_SWEEP_INTERVAL_SECONDS: "3" })).toMatchObject({
      COUNTERSIGN_DELIVERY_INTERVAL_SECONDS: 2,
      COUNTERSIGN_SWEEP_INTERVAL_SECONDS: 3,
    });
    expect(() => parseEnv({ COUNTERSIGN_DELIVERY_INTERVAL_SECONDS: "0.5", COUNTERSIGN_MAX_PENDING_PER_AGENT: "1.5" })).toThrow(
      /COUNTERSIGN_MAX_PENDING_PER_AGENT: .*\n {2}COUNTERSIGN_DELIVERY_INTERVAL_SECONDS: |COUNTERSIGN_DELIVERY_INTERVAL_SECONDS: .*\n {2}COUNTERSIGN_MAX_PENDING_PER_AGENT: /,
    );
  });

  it("needs the SIEM secret with the SIEM URL", () => {
    expect(() => parseEnv({ COUNTERSIGN_SIEM_HTTPS_URL: "https://siem.example.com" })).toThrow(
      /COUNTERSIGN_SIEM_HTTPS_SECRET: required with COUNTERSIGN_SIEM_HTTPS_URL/,
    );
  });

  it("logs nothing under test unless LOG_LEVEL says so", () => {
    expect(parseEnv({ NODE_ENV: "test" }).LOG_LEVEL).toBe("silent");
    expect(parseEnv({ NODE_ENV: "production" }).LOG_LEVEL).toBe("info");
    expect(parseEnv({ NODE_ENV: "test", LOG_LEVEL: "debug" }).LOG_LEVEL).toBe("debug");
  });
});
