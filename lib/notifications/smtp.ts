import "server-only";
import net from "node:net";
import nodemailer, { type Transporter } from "nodemailer";
import type { EmailConfig } from "../delivery/config.ts";
import { addressProblem, guardedLookup, normalizeHost, RefusedError, type OutboundPolicy } from "../delivery/url-safety.ts";
import type { EmailMessage } from "./messages.ts";

let transport: { key: string; transporter: Transporter } | undefined;

/**
 * Opens each SMTP connection ourselves, so the outbound address policy checks
 * the address it connects to (nodemailer has no `lookup` option); nodemailer
 * then speaks SMTP and TLS on it, with the server name for SNI and the
 * certificate check.
 */
function guardedSocket(host: string, port: number, policy: OutboundPolicy, timeoutMs: number) {
  return (_options: unknown, callback: (err: Error | null, socketOptions?: { connection: net.Socket }) => void) => {
    const problem = addressProblem(host, policy);
    if (problem) return callback(new RefusedError(`refused: ${problem}`));
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ""), port, lookup: guardedLookup(policy) as never, timeout: timeoutMs });
    const fail = (err: Error) => {
      socket.destroy();
      callback(err);
    };
    socket.once("error", fail);
    socket.once("timeout", () => fail(Object.assign(new Error(`no connection within ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
    socket.once("connect", () => {
      socket.off("error", fail);
      socket.setTimeout(0);
      callback(null, { connection: socket });
    });
  };
}

/** One pooled SMTP transport per process (a few connections, reused across messages). */
function transporterFor(config: EmailConfig, timeoutMs: number): Transporter {
  const key = `${config.smtpUrl} ${config.policy.allowPrivate}`;
  if (transport?.key !== key) {
    transport?.transporter.close();
    const url = new URL(config.smtpUrl);
    const host = normalizeHost(url.hostname) ?? url.hostname;
    const port = url.port ? Number(url.port) : url.protocol === "smtps:" ? 465 : 587;
    transport = {
      key,
      transporter: nodemailer.createTransport({
        host: host.replace(/^\[|\]$/g, ""),
        port,
        secure: url.protocol === "smtps:",
        auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
        pool: true,
        maxConnections: 3,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        getSocket: guardedSocket(host, port, config.policy, timeoutMs),
      }),
    };
  }
  return transport.transporter;
}

export interface SendResult {
  ok: boolean;
  /** The SMTP reply code when the server answered. */
  status: number | null;
  error?: string;
  /** A 5xx reply: retrying the same message will not help. */
  permanent?: boolean;
}

/**
 * Sends one message. `id` (the delivery id) becomes its Message-ID, so a
 * message sent again after a lost acknowledgement can be recognised as the
 * same one (delivery is at-least-once, like webhooks).
 */
export async function sendEmail(id: string, message: EmailMessage, config: EmailConfig, timeoutMs: number): Promise<SendResult> {
  try {
    const info = await transporterFor(config, timeoutMs).sendMail({
      from: config.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId: `<${id}@countersign>`,
      headers: { "Auto-Submitted": "auto-generated", "X-Countersign-Delivery": id },
    });
    const code = Number(/^(\d{3})/.exec(String(info.response))?.[1] ?? 250);
    const rejected = (info.rejected ?? []).map(String);
    return { ok: rejected.length === 0, status: code, error: rejected.length ? `rejected: ${rejected.join(", ")}` : undefined, permanent: rejected.length > 0 };
  } catch (err) {
    const e = err as Error & { responseCode?: number; code?: string };
    // The address policy refused the server: retrying will not help until the configuration changes.
    if (e.message.startsWith("refused:")) return { ok: false, status: null, error: e.message, permanent: true };
    const status = typeof e.responseCode === "number" ? e.responseCode : null;
    return { ok: false, status, error: `${e.code ? `${e.code}: ` : ""}${e.message}`, permanent: status !== null && status >= 500 };
  }
}

export function closeSmtp(): void {
  transport?.transporter.close();
  transport = undefined;
}
