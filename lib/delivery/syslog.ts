import "server-only";

/**
 * RFC 5424 syslog messages, and RFC 6587 octet-counting framing for TCP.
 * Small enough to write here: the npm formatters are unmaintained or bring
 * their own transports.
 */

export interface SyslogMessage {
  facility: number;
  severity: number;
  timestamp: Date;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** SD-ID → parameters; empty for NILVALUE. */
  structuredData: Record<string, Record<string, string>>;
  /** Sent after a UTF-8 BOM, as RFC 5424 recommends for UTF-8 text. */
  message?: string;
}

/** PRINTUSASCII without space, `=`, `]` and `"`, at most `max` characters; `-` when empty. */
function header(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, "").slice(0, max);
  return clean || "-";
}

function sdName(value: string): string {
  return value.replace(/[^\x21-\x7e]|[= \]"]/g, "").slice(0, 32);
}

/** PARAM-VALUE escaping: `"`, `\` and `]` are escaped with a backslash. */
function sdValue(value: string): string {
  return value.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

export function formatSyslog(m: SyslogMessage): string {
  const pri = m.facility * 8 + m.severity;
  const sd = Object.entries(m.structuredData)
    .map(
      ([id, params]) =>
        `[${sdName(id)}${Object.entries(params)
          .map(([k, v]) => ` ${sdName(k)}="${sdValue(v)}"`)
          .join("")}]`,
    )
    .join("");
  const head = `<${pri}>1 ${m.timestamp.toISOString()} ${header(m.hostname, 255)} ${header(m.appName, 48)} ${header(m.procId, 128)} ${header(m.msgId, 32)} ${sd || "-"}`;
  return m.message === undefined ? head : `${head} \uFEFF${m.message}`;
}

/** RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes. */
export function frameOctetCounting(message: string): Buffer {
  const body = Buffer.from(message, "utf8");
  return Buffer.concat([Buffer.from(`${body.length} `, "ascii"), body]);
}

/** Splits an octet-counted stream into messages; returns them and the unread rest. */
export function parseOctetCounted(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let at = 0;
  for (;;) {
    const space = buffer.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(buffer.subarray(at, space).toString("ascii"));
    if (!Number.isInteger(length) || space + 1 + length > buffer.length) break;
    messages.push(buffer.subarray(space + 1, space + 1 + length).toString("utf8"));
    at = space + 1 + length;
  }
  return { messages, rest: buffer.subarray(at) };
}
