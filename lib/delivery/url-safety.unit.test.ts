import { createServer, type Server } from "node:http";
import { describe, expect, it } from "vitest";
import { ALWAYS_REFUSED_URLS } from "../../test/support/outbound-urls.ts";
import { postJson } from "./http-post.ts";
import { addressProblem, connectUrlProblem, guardedLookup, hostProblem, resolveChecked, urlProblem, type OutboundPolicy } from "./url-safety.ts";

const strict: OutboundPolicy = { allowHttp: false, allowPrivate: false, setting: "COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE" };
const open: OutboundPolicy = { allowHttp: true, allowPrivate: true, setting: "COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE" };
const httpOnly: OutboundPolicy = { ...strict, allowHttp: true };

/** Metadata, link-local and other never-allowed destinations, in every spelling an attacker might try. */
const ALWAYS_REFUSED = [
  // cloud metadata, link-local
  "169.254.169.254",
  "169.254.0.1",
  "::ffff:169.254.169.254",
  "::ffff:a9fe:a9fe",
  "0:0:0:0:0:ffff:a9fe:a9fe",
  "::a9fe:a9fe",
  "::169.254.169.254",
  "::ffff:0:a9fe:a9fe",
  "64:ff9b::a9fe:a9fe",
  "64:ff9b::169.254.169.254",
  "2002:a9fe:a9fe::1",
  "[::ffff:169.254.169.254]",
  "2852039166",
  "0xa9.0xfe.0xa9.0xfe",
  "0251.0376.0251.0376",
  "169.254.43518",
  "fe80::1",
  "FE80::abcd",
  "fe80::1%eth0",
  "febf::1",
  "fd00:ec2::254",
  "100.100.100.200",
  "168.63.129.16",
  // unspecified, broadcast, multicast
  "0.0.0.0",
  "0.1.2.3",
  "::",
  "::ffff:0.0.0.0",
  "255.255.255.255",
  "224.0.0.1",
  "239.255.255.250",
  "ff02::1",
  "::ffff:224.0.0.1",
  // reserved, documentation, benchmarking
  "240.0.0.1",
  "192.0.0.1",
  "192.0.2.1",
  "198.18.0.1",
  "198.51.100.7",
  "203.0.113.9",
  "2001:db8::1",
  "3fff::1",
  "2001:2::1",
  "100::1",
  "fec0::1",
  // tunnels and local NAT64
  "2001:0:4136:e378:8000:63bf:3fff:fdd2",
  "64:ff9b:1::a9fe:a9fe",
  "64:ff9b:1::0a00:1",
  // outside 2000::/3
  "4000::1",
  "::2:0:1",
];

/** Loopback, RFC 1918, unique-local and CGNAT: refused unless the admin allows private destinations. */
const PRIVATE = [
  "127.0.0.1",
  "127.1.2.3",
  "2130706433",
  "0x7f.1",
  "::1",
  "0:0:0:0:0:0:0:1",
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
  "::127.0.0.1",
  "64:ff9b::7f00:1",
  "2002:7f00:1::",
  "10.0.0.5",
  "::ffff:10.0.0.5",
  "172.16.0.1",
  "172.31.255.254",
  "192.168.1.1",
  "64:ff9b::c0a8:101",
  "2002:c0a8:101::1",
  "fc00::1",
  "fd12:3456::1",
  "100.64.0.1",
  "100.127.255.254",
];

const PUBLIC = [
  "93.184.216.34",
  "1.1.1.1",
  "8.8.8.8",
  "172.32.0.1",
  "100.128.0.1",
  "2606:4700::1111",
  "2a00:1450:4001::200e",
  "::ffff:93.184.216.34",
  "64:ff9b::5db8:d822",
  "2002:5db8:d822::1",
];

describe("the outbound address policy", () => {
  it.each(ALWAYS_REFUSED)("refuses %s always, even where private destinations are allowed", (a) => {
    expect(addressProblem(a, strict)).toMatch(/always refused$/);
    expect(addressProblem(a, open)).toMatch(/always refused$/);
  });

  it.each(PRIVATE)("refuses %s unless private destinations are allowed, naming the setting", (a) => {
    expect(addressProblem(a, strict)).toMatch(/private destinations need COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE=true$/);
    expect(addressProblem(a, open)).toBeNull();
  });

  it.each(PUBLIC)("allows the public address %s", (a) => {
    expect(addressProblem(a, strict)).toBeNull();
  });

  it("judges an embedded IPv4 address as itself and says so", () => {
    expect(addressProblem("::ffff:a9fe:a9fe", strict)).toBe(
      "::ffff:a9fe:a9fe (IPv4 169.254.169.254) is link-local (169.254.0.0/16, where cloud metadata services live), always refused",
    );
    expect(addressProblem("64:ff9b::7f00:1", { ...strict, setting: "COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS" })).toBe(
      "64:ff9b::7f00:1 (IPv4 127.0.0.1) is loopback; private destinations need COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS=true",
    );
  });

  it("leaves names to DNS, except localhost names, which are loopback", () => {
    expect(addressProblem("hooks.example.com", strict)).toBeNull();
    expect(hostProblem("hooks.example.com", strict)).toBeNull();
    for (const h of ["localhost", "LOCALHOST", "localhost.", "api.localhost", "api.localhost."]) {
      expect(hostProblem(h, strict), h).toMatch(/loopback/);
      expect(hostProblem(h, open), h).toBeNull();
    }
  });
});

describe("outbound URLs", () => {
  it.each(ALWAYS_REFUSED_URLS)("refuses %s at save time, even with private destinations allowed", (u) => {
    expect(urlProblem(u, open)).toMatch(/always refused$/);
    expect(connectUrlProblem(u, open)).toMatch(/always refused$/);
  });

  it.each(["https://[::ffff:127.0.0.1]:5432/", "https://127.0.0.1/", "https://localhost./", "https://10.0.0.1/", "https://[fd00::1]/", "https://100.64.0.1/"])(
    "refuses %s unless private destinations are allowed",
    (u) => {
      expect(urlProblem(u, strict)).toMatch(/private destinations need/);
      expect(urlProblem(u, open)).toBeNull();
    },
  );

  it("wants https, allowing plain http only to loopback when permitted", () => {
    expect(urlProblem("https://hooks.example.com/x", strict)).toBeNull();
    expect(urlProblem("https://93.184.216.34/x", strict)).toBeNull();
    expect(urlProblem("https://[2606:4700::1111]/x", strict)).toBeNull();
    expect(urlProblem("http://127.0.0.1:8080/x", open)).toBeNull();
    expect(urlProblem("http://[::1]:8080/x", open)).toBeNull();
    expect(urlProblem("http://localhost/x", { ...open, allowHttp: false })).toMatch(/COUNTERSIGN_ALLOW_HTTP_WEBHOOKS/);
    expect(urlProblem("http://localhost/x", httpOnly)).toMatch(/loopback; private destinations need/);
    expect(urlProblem("http://hooks.example.com/x", open)).toMatch(/must use https/);
    expect(urlProblem("http://10.0.0.1/x", open)).toMatch(/must use https/);
    expect(urlProblem("ftp://hooks.example.com/x", open)).toMatch(/must use https/);
    expect(urlProblem("https://u:p@example.com/", open)).toMatch(/credentials/);
    expect(urlProblem("not a url", open)).toMatch(/absolute/);
  });

  it("at connect time checks IP literals and leaves names to the pinned lookup", () => {
    expect(connectUrlProblem("https://[::ffff:127.0.0.1]/", strict)).toMatch(/loopback/);
    expect(connectUrlProblem("http://localhost:1/", httpOnly)).toBeNull();
  });
});

function lookupOnce(policy: OutboundPolicy, host: string, options: object | number): Promise<unknown> {
  return new Promise((resolve, reject) => guardedLookup(policy)(host, options, (err, address) => (err ? reject(err) : resolve(address))));
}

describe("the pinned lookup", () => {
  it("resolves allowed names, in every callback shape sockets use", async () => {
    expect(["127.0.0.1", "::1"]).toContain(await lookupOnce(open, "localhost", {}));
    expect(Array.isArray(await lookupOnce(open, "localhost", { all: true }))).toBe(true);
    expect(await lookupOnce(open, "localhost", 4)).toBe("127.0.0.1");
  });

  it("refuses a name whose DNS answer is blocked, before any connection", async () => {
    await expect(lookupOnce(strict, "localhost", {})).rejects.toThrow(
      /^refused: localhost resolves to (127\.0\.0\.1|::1): .*loopback; private destinations need/,
    );
    await expect(lookupOnce(strict, "169.254.169.254", 4)).rejects.toThrow(/always refused/);
  });
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    handler!(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits };
}

describe("postJson", () => {
  it("posts to an allowed receiver by name, and refuses blocked ones before connecting", async () => {
    const rx = await listen((req, res) => req.resume().on("end", () => res.writeHead(204).end()));
    const port = new URL(rx.url).port;
    try {
      expect(await postJson(`http://localhost:${port}/x`, "{}", {}, { timeoutMs: 5000, policy: open })).toEqual({ ok: true, status: 204, error: null });
      // By name: DNS says loopback, the lookup refuses, nothing connects.
      const byName = await postJson(`http://localhost:${port}/y`, "{}", {}, { timeoutMs: 5000, policy: httpOnly });
      expect(byName).toMatchObject({ ok: false, status: null });
      expect(byName.error).toMatch(/^refused: localhost resolves to .*loopback/);
      const mapped = await postJson(`http://[::ffff:127.0.0.1]:${port}/z`, "{}", {}, { timeoutMs: 5000, policy: httpOnly });
      expect(mapped.error).toMatch(/^refused: .*loopback/);
      expect(rx.hits).toEqual(["/x"]);
      const metadata = await postJson("https://[::ffff:a9fe:a9fe]/latest", "{}", {}, { timeoutMs: 5000, policy: open });
      expect(metadata).toMatchObject({ ok: false, status: null });
      expect(metadata.error).toMatch(/^refused: .*link-local/);
    } finally {
      rx.server.close();
    }
  });

  it("does not follow a redirect", async () => {
    const target = await listen((_req, res) => res.writeHead(204).end());
    const bouncer = await listen((req, res) => req.resume().on("end", () => res.writeHead(302, { location: `${target.url}/internal` }).end()));
    try {
      expect(await postJson(`${bouncer.url}/hook`, "{}", {}, { timeoutMs: 5000, policy: open })).toEqual({
        ok: false,
        status: 302,
        error: "the receiver answered 302",
      });
      expect(bouncer.hits).toEqual(["/hook"]);
      expect(target.hits).toEqual([]);
    } finally {
      bouncer.server.close();
      target.server.close();
    }
  });
});

describe("resolveChecked (UDP sends to the address it returns)", () => {
  it("returns an allowed address and refuses blocked names and literals", async () => {
    expect(["127.0.0.1", "::1"]).toContain((await resolveChecked("localhost", open)).address);
    expect(await resolveChecked("[::1]", open)).toEqual({ address: "::1", family: 6 });
    await expect(resolveChecked("localhost", strict)).rejects.toThrow(/^refused: localhost resolves to .*loopback/);
    await expect(resolveChecked("[::ffff:7f00:1]", strict)).rejects.toThrow(/^refused: .*loopback/);
    await expect(resolveChecked("169.254.169.254", open)).rejects.toThrow(/^refused: .*always refused/);
  });
});
