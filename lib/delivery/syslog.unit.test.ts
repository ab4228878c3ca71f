import { describe, expect, it } from "vitest";
import { formatSyslog, frameOctetCounting, parseOctetCounted } from "./syslog.ts";

describe("RFC 5424 formatting", () => {
  it("reproduces the RFC's example 1 (no structured data)", () => {
    // RFC 5424 §6.5 example 1, with the timestamp in our (UTC, milliseconds) form.
    expect(
      formatSyslog({
        facility: 4,
        severity: 2,
        timestamp: new Date("2003-10-11T22:14:15.003Z"),
        hostname: "mymachine.example.com",
        appName: "su",
        procId: "",
        msgId: "ID47",
        structuredData: {},
        message: "'su root' failed for lonvick on /dev/pts/8",
      }),
    ).toBe("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8");
  });

  it("reproduces the RFC's example 3 (structured data and a message)", () => {
    expect(
      formatSyslog({
        facility: 20,
        severity: 5,
        timestamp: new Date("2003-10-11T22:14:15.003Z"),
        hostname: "mymachine.example.com",
        appName: "evntslog",
        procId: "",
        msgId: "ID47",
        structuredData: { "exampleSDID@32473": { iut: "3", eventSource: "Application", eventID: "1011" } },
        message: "An application event log entry...",
      }),
    ).toBe(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...',
    );
  });

  it("reproduces the RFC's example 4 (only structured data) and escapes parameter values", () => {
    expect(
      formatSyslog({
        facility: 20,
        severity: 5,
        timestamp: new Date("2003-10-11T22:14:15.003Z"),
        hostname: "mymachine.example.com",
        appName: "evntslog",
        procId: "",
        msgId: "ID47",
        structuredData: { "exampleSDID@32473": { iut: "3" }, "examplePriority@32473": { class: 'high"]\\' } },
      }),
    ).toBe('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"][examplePriority@32473 class="high\\"\\]\\\\"]');
  });

  it("replaces characters a header field may not hold", () => {
    const line = formatSyslog({
      facility: 13,
      severity: 6,
      timestamp: new Date(0),
      hostname: "host name",
      appName: "app",
      procId: "1",
      msgId: "a b",
      structuredData: {},
    });
    expect(line).toBe("<110>1 1970-01-01T00:00:00.000Z hostname app 1 ab -");
  });

  it("frames with octet counting (RFC 6587) in bytes, and parses the frames back", () => {
    const a = frameOctetCounting("<110>1 - - - - - - \uFEFFé");
    expect(a.toString("utf8").startsWith(`${Buffer.byteLength("<110>1 - - - - - - \uFEFFé")} `)).toBe(true);
    const both = Buffer.concat([a, frameOctetCounting("second"), Buffer.from("12 partial")]);
    const { messages, rest } = parseOctetCounted(both);
    expect(messages).toEqual(["<110>1 - - - - - - \uFEFFé", "second"]);
    expect(rest.toString()).toBe("12 partial");
  });
});
