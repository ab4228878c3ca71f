import nodemailer, { type Transporter } from "nodemailer";
import type { EmailConfig } from "../delivery/config.ts";
import type { EmailMessage } from "./messages.ts";

let transport: { url: string; transporter: Transporter } | undefined;

/** One pooled SMTP transport per process (a few connections, reused across messages). */
function transporterFor(config: EmailConfig, timeoutMs: number): Transporter {
  if (transport?.url !== config.smtpUrl) {
    transport?.transporter.close();
    const url = new URL(config.smtpUrl);
    transport = {
      url: config.smtpUrl,
      transporter: nodemailer.createTransport({
        host: url.hostname,
        port: url.port ? Number(url.port) : url.protocol === "smtps:" ? 465 : 587,
        secure: url.protocol === "smtps:",
        auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
        pool: true,
        maxConnections: 3,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
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
    const status = typeof e.responseCode === "number" ? e.responseCode : null;
    return { ok: false, status, error: `${e.code ? `${e.code}: ` : ""}${e.message}`, permanent: status !== null && status >= 500 };
  }
}

export function closeSmtp(): void {
  transport?.transporter.close();
  transport = undefined;
}
