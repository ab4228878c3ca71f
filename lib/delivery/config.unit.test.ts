import { describe, expect, it } from "vitest";
import { parseDeliveryConfig } from "./config.ts";
import { createServer } from "node:http";
import { postJson } from "./http-post.ts";
import { blockedAddress, guardedLookup, urlProblem } from "./url-safety.ts";

describe("delivery configuration", () => {
  it("reads the SIEM sinks from the environment", () => {
    const c = parseDeliveryConfig({
      NODE_ENV: "production",
      COUNTERSIGN_SIEM_SYSLOG: "tcp://siem.internal:6514",
      COUNTERSIGN_SIEM_HTTPS_URL: "https://siem.example.com/ingest",
      COUNTERSIGN_SIEM_HTTPS_SECRET: `whsec_${"A".repeat(43)}=`,
    });
    expect(c.allowHttp).toBe(false);
    expect(c.sinks).toEqual([
      { kind: "syslog", id: "siem:syslog:tcp://siem.internal:6514", transport: "tcp", host: "siem.internal", port: 6514 },
      { kind: "https", id: "siem:https:https://siem.example.com/ingest", url: "https://siem.example.com/ingest", secret: `whsec_${"A".repeat(43)}=` },
    ]);
    expect(parseDeliveryConfig({ NODE_ENV: "development" }).allowHttp).toBe(true);
    expect(parseDeliveryConfig({ NODE_ENV: "production", COUNTERSIGN_ALLOW_HTTP_WEBHOOKS: "true" }).allowHttp).toBe(true);
  });

  it("names the variable that is wrong", () => {
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SIEM_SYSLOG: "syslog.example.com" })).toThrow(/^COUNTERSIGN_SIEM_SYSLOG: must be tcp:\/\/host:port/);
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SIEM_HTTPS_URL: "https://siem.example.com" })).toThrow(/^COUNTERSIGN_SIEM_HTTPS_SECRET/);
  });
});

describe("webhook URL safety", () => {
  it("refuses link-local, metadata and unspecified addresses, in every spelling", () => {
    for (const a of ["169.254.169.254", "169.254.0.1", "::ffff:169.254.169.254", "fe80::1", "FE80::abcd", "fd00:ec2::254", "0.0.0.0", "::"]) expect(blockedAddress(a), a).not.toBeNull();
    for (const a of ["10.0.0.5", "192.168.1.1", "127.0.0.1", "::1", "93.184.216.34", "2001:db8::1"]) expect(blockedAddress(a), a).toBeNull();
  });

  it("wants https, allowing plain http only to localhost when permitted", () => {
    expect(urlProblem("https://hooks.example.com/x", false)).toBeNull();
    expect(urlProblem("http://127.0.0.1:8080/x", true)).toBeNull();
    expect(urlProblem("http://localhost/x", false)).toMatch(/COUNTERSIGN_ALLOW_HTTP_WEBHOOKS/);
    expect(urlProblem("http://hooks.example.com/x", true)).toMatch(/https/);
    expect(urlProblem("https://169.254.169.254/latest/meta-data", false)).toMatch(/metadata/);
    expect(urlProblem("https://[fe80::1]/", false)).toMatch(/link-local/);
    expect(urlProblem("https://u:p@example.com/", false)).toMatch(/credentials/);
    expect(urlProblem("not a url", false)).toMatch(/absolute/);
  });
});

describe("the guarded lookup", () => {
  it("resolves ordinary names, in both callback shapes", async () => {
    const one = await new Promise<string>((resolve, reject) => guardedLookup("localhost", {}, (err, address) => (err ? reject(err) : resolve(address as string))));
    expect(["127.0.0.1", "::1"]).toContain(one);
    const all = await new Promise<unknown>((resolve, reject) => guardedLookup("localhost", { all: true }, (err, address) => (err ? reject(err) : resolve(address))));
    expect(Array.isArray(all)).toBe(true);
  });

  it("lets a POST through to localhost by name, and refuses a metadata address before connecting", async () => {
    const server = createServer((req, res) => req.resume().on("end", () => res.writeHead(204).end()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as { port: number };
    try {
      expect(await postJson(`http://localhost:${port}/x`, "{}", {}, { timeoutMs: 5000, allowHttp: true })).toEqual({ ok: true, status: 204, error: null });
      const refused = await postJson("https://169.254.169.254/latest", "{}", {}, { timeoutMs: 5000, allowHttp: false });
      expect(refused.ok).toBe(false);
      expect(refused.error).toMatch(/^refused: .*metadata/);
    } finally {
      server.close();
    }
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
    expect(c.email).toEqual({ smtpUrl: "smtps://user:pass@mail.example.com:465", from: "Approvals <approvals@example.com>" });
    expect(c.reminders).toEqual({ remindAt: null, escalation: { group: "on-call", at: 0.9 } });
  });

  it("names the variable that is wrong", () => {
    expect(() => parseDeliveryConfig({ COUNTERSIGN_SMTP_URL: "mail.example.com" })).toThrow(/^COUNTERSIGN_SMTP_URL: /);
    expect(() => parseDeliveryConfig({ COUNTERSIGN_EMAIL_FROM: "a\r\nBcc: b@c" })).toThrow(/^COUNTERSIGN_EMAIL_FROM: /);
    expect(() => parseDeliveryConfig({ COUNTERSIGN_ESCALATION_GROUP: "On Call" })).toThrow(/^COUNTERSIGN_ESCALATION_GROUP: /);
    expect(() => parseDeliveryConfig({ COUNTERSIGN_REMINDER_AT: "1.5" })).toThrow(/^COUNTERSIGN_REMINDER_AT: /);
  });
});
