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
