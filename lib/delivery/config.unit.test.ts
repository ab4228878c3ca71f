import { describe, expect, it } from "vitest";
import { parseEnv } from "../env.ts";
import { deliveryConfigOf } from "./config.ts";

const parseDeliveryConfig = (source: Record<string, string>) => deliveryConfigOf(parseEnv(source));

describe("delivery configuration", () => {
  it("reads the SIEM sinks from the environment", () => {
    const c = parseDeliveryConfig({
      NODE_ENV: "production",
      COUNTERSIGN_SIEM_SYSLOG: "tcp://siem.internal:6514",
      COUNTERSIGN_SIEM_HTTPS_URL: "https://siem.example.com/ingest",
      COUNTERSIGN_SIEM_HTTPS_SECRET: `whsec_${"A".repeat(43)}=`,
    });
    expect(c.destinations).toEqual({ allowHttp: false, allowPrivate: false, setting: "COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE" });
    expect(c.callbacks).toEqual({ allowHttp: false, allowPrivate: false, setting: "COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS" });
    expect(c.sinks).toEqual([
      { kind: "syslog", id: "siem:syslog:tcp://siem.internal:6514", transport: "tcp", host: "siem.internal", port: 6514 },
      { kind: "https", id: "siem:https:https://siem.example.com/ingest", url: "https://siem.example.com/ingest", secret: `whsec_${"A".repeat(43)}=` },
    ]);
    expect(parseDeliveryConfig({ NODE_ENV: "development" }).destinations.allowHttp).toBe(true);
    expect(parseDeliveryConfig({ NODE_ENV: "production", COUNTERSIGN_ALLOW_HTTP_WEBHOOKS: "true" }).callbacks.allowHttp).toBe(true);
  });

  it("private destinations and private callbacks are separate admin settings, both off by default", () => {
    expect(parseDeliveryConfig({}).destinations.allowPrivate).toBe(false);
    expect(parseDeliveryConfig({}).callbacks.allowPrivate).toBe(false);
    const c = parseDeliveryConfig({ COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE: "true" });
    expect([c.destinations.allowPrivate, c.callbacks.allowPrivate]).toEqual([true, false]);
    const d = parseDeliveryConfig({ COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS: "1" });
    expect([d.destinations.allowPrivate, d.callbacks.allowPrivate]).toEqual([false, true]);
  });

  it("checks configured SIEM and SMTP hosts at startup, in any spelling", () => {
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SIEM_SYSLOG: "tcp://2852039166:514" })).toThrow(
      /^Invalid configuration:\n {2}COUNTERSIGN_SIEM_SYSLOG: 169\.254\.169\.254 is link-local/,
    );
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SIEM_SYSLOG: "udp://0xa9.0xfe.0xa9.0xfe:514", COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE: "true" })).toThrow(
      /always refused/,
    );
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SIEM_SYSLOG: "tcp://10.1.2.3:514" })).toThrow(/COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE=true/);
    expect(parseDeliveryConfig({ COUNTERSIGN_SIEM_SYSLOG: "tcp://10.1.2.3:514", COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE: "true" }).sinks[0]).toMatchObject({
      host: "10.1.2.3",
    });
    const https = { COUNTERSIGN_SIEM_HTTPS_SECRET: `whsec_${"A".repeat(43)}=` };
    expect(() => parseDeliveryConfig({ ...https, COUNTERSIGN_SIEM_HTTPS_URL: "https://[::ffff:a9fe:a9fe]/ingest" })).toThrow(
      /^Invalid configuration:\n {2}COUNTERSIGN_SIEM_HTTPS_URL: .*link-local/,
    );
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SMTP_URL: "smtp://[::ffff:127.0.0.1]:25" })).toThrow(
      /^Invalid configuration:\n {2}COUNTERSIGN_SMTP_URL: .*loopback/,
    );
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SMTP_URL: "smtp://localhost:25" })).toThrow(/^Invalid configuration:\n {2}COUNTERSIGN_SMTP_URL: .*loopback/);
    expect(parseDeliveryConfig({ COUNTERSIGN_SMTP_URL: "smtp://localhost:25", COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE: "true" }).email?.smtpUrl).toBe(
      "smtp://localhost:25",
    );
  });

  it("names the variable that is wrong", () => {
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SIEM_SYSLOG: "syslog.example.com" })).toThrow(
      /^Invalid configuration:\n {2}COUNTERSIGN_SIEM_SYSLOG: must be tcp:\/\/host:port/,
    );
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SIEM_HTTPS_URL: "https://siem.example.com" })).toThrow(
      /^Invalid configuration:\n {2}COUNTERSIGN_SIEM_HTTPS_SECRET/,
    );
  });
});

describe("email and reminder settings", () => {
  it("email is off without an SMTP URL; reminders at half the wait, no escalation, by default", () => {
    const c = parseDeliveryConfig({});
    expect(c.email).toBeNull();
    expect(c.reminders).toEqual({ remindAt: 0.5, escalation: null });
  });

  it("reads SMTP, sender, reminder share and escalation group", () => {
    const c = parseDeliveryConfig({
      COUNTERSIGN_SMTP_URL: "smtps://user:pass@mail.example.com:465",
      COUNTERSIGN_EMAIL_FROM: "Approvals <approvals@example.com>",
      COUNTERSIGN_REMINDER_AT: "0",
      COUNTERSIGN_ESCALATION_GROUP: "on-call",
      COUNTERSIGN_ESCALATE_AT: "0.9",
    });
    expect(c.email).toEqual({ smtpUrl: "smtps://user:pass@mail.example.com:465", from: "Approvals <approvals@example.com>", policy: c.destinations });
    expect(c.reminders).toEqual({ remindAt: null, escalation: { group: "on-call", at: 0.9 } });
  });

  it("names the variable that is wrong", () => {
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SMTP_URL: "mail.example.com" })).toThrow(/^Invalid configuration:\n {2}COUNTERSIGN_SMTP_URL: /);
    expect(() => parseDeliveryConfig({ COUNTERSIGN_EMAIL_FROM: "a\r\nBcc: b@c" })).toThrow(/^Invalid configuration:\n {2}COUNTERSIGN_EMAIL_FROM: /);
    expect(() => parseDeliveryConfig({ COUNTERSIGN_ESCALATION_GROUP: "On Call" })).toThrow(/^Invalid configuration:\n {2}COUNTERSIGN_ESCALATION_GROUP: /);
    expect(() => parseDeliveryConfig({ COUNTERSIGN_REMINDER_AT: "1.5" })).toThrow(/^Invalid configuration:\n {2}COUNTERSIGN_REMINDER_AT: /);
  });
});
