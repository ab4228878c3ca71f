import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small stand-in for Slack: the Web API methods Countersign calls
 * (chat.postMessage, chat.update, chat.postEphemeral, views.open,
 * users.info) under `/api/{method}`, answering as Slack documents them, and
 * `response_url`s under `/response/{id}`. It records every call, checks the
 * bot token, and signs interaction payloads exactly as Slack does.
 * Real Slack was never called: what this stand-in does not model (rate
 * limits, Slack's own validation of block layouts, trigger_id expiry) is
 * untested here.
 */

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  authorization: string | null;
}

export interface SlackUser {
  email: string;
  confirmed: boolean;
}

export class SlackStandIn {
  readonly calls: SlackCall[] = [];
  /** Slack user id → profile. */
  readonly users = new Map<string, SlackUser>();
  /** Called (and awaited) before a Web API call is answered: a test can hold an answer back while it acts. */
  holdAnswer?: (method: string, args: Record<string, unknown>) => Promise<void>;
  private server!: http.Server;
  private seq = 0;
  url = "";

  constructor(
    readonly token = `xoxb-${randomBytes(12).toString("hex")}`,
    readonly signingSecret = randomBytes(16).toString("hex"),
  ) {}

  static async start(): Promise<SlackStandIn> {
    const s = new SlackStandIn();
    s.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void s.answer(req, Buffer.concat(chunks).toString("utf8"), res));
    });
    await new Promise<void>((resolve) => s.server.listen(0, "127.0.0.1", resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  get apiUrl(): string {
    return `${this.url}/api`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The calls of one method, optionally only those matching. */
  of(method: string, pred: (args: Record<string, unknown>) => boolean = () => true): SlackCall[] {
    return this.calls.filter((c) => c.method === method && pred(c.args));
  }

  private async answer(req: http.IncomingMessage, body: string, res: http.ServerResponse) {
    const send = (value: unknown) => {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(value));
    };
    const path = new URL(req.url ?? "/", this.url).pathname;
    const type = req.headers["content-type"] ?? "";
    let args: Record<string, unknown>;
    try {
      args = type.startsWith("application/json") ? JSON.parse(body) : Object.fromEntries(new URLSearchParams(body));
    } catch {
      return send({ ok: false, error: "invalid_json" });
    }
    if (path.startsWith("/response/")) {
      this.calls.push({ method: "response_url", args: { ...args, id: path.slice("/response/".length) }, authorization: null });
      return send({ ok: true });
    }
    const method = path.replace(/^\/api\//, "");
    const authorization = req.headers.authorization ?? null;
    this.calls.push({ method, args, authorization });
    await this.holdAnswer?.(method, args);
    if (authorization !== `Bearer ${this.token}`) return send({ ok: false, error: "invalid_auth" });
    const ts = () => `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, "0")}`;
    switch (method) {
      case "chat.postMessage":
        if (typeof args.channel !== "string" || !Array.isArray(args.blocks)) return send({ ok: false, error: "invalid_arguments" });
        return send({ ok: true, channel: args.channel, ts: ts(), message: { text: args.text, blocks: args.blocks } });
      case "chat.update":
        if (typeof args.channel !== "string" || typeof args.ts !== "string") return send({ ok: false, error: "invalid_arguments" });
        return send({ ok: true, channel: args.channel, ts: args.ts, text: args.text });
      case "chat.postEphemeral":
        return send({ ok: true, message_ts: ts() });
      case "views.open":
        if (typeof args.trigger_id !== "string" || typeof args.view !== "object") return send({ ok: false, error: "invalid_arguments" });
        return send({ ok: true, view: { id: `V${++this.seq}`, ...(args.view as object) } });
      case "users.info": {
        const u = this.users.get(String(args.user));
        if (!u) return send({ ok: false, error: "user_not_found" });
        return send({
          ok: true,
          user: { id: args.user, name: u.email.split("@")[0], deleted: false, is_bot: false, is_email_confirmed: u.confirmed, profile: { email: u.email } },
        });
      }
      default:
        return send({ ok: false, error: "unknown_method" });
    }
  }

  /** A form body `payload=…` and the headers Slack sends with it, signed with this app's secret (or another), at `timestamp`. */
  signed(payload: unknown, o: { timestamp?: number; secret?: string } = {}): { body: string; headers: Record<string, string> } {
    return this.signedText(JSON.stringify(payload), o);
  }

  /** The same, for a payload given as the exact JSON text to send (odd encodings). */
  signedText(payload: string, o: { timestamp?: number; secret?: string } = {}): { body: string; headers: Record<string, string> } {
    const body = new URLSearchParams({ payload }).toString();
    const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac("sha256", o.secret ?? this.signingSecret)
      .update(`v0:${timestamp}:${body}`)
      .digest("hex")}`;
    return {
      body,
      headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp, "x-slack-signature": signature },
    };
  }

  /** A button press on a posted message, as Slack sends it (block_actions). */
  buttonPayload(o: { user: string; action: "approve" | "deny"; requestId: string; channel: string; ts: string }) {
    return {
      type: "block_actions",
      user: { id: o.user, username: o.user.toLowerCase(), team_id: "T0001" },
      api_app_id: "A0001",
      token: "deprecated-verification-token",
      container: { type: "message", message_ts: o.ts, channel_id: o.channel, is_ephemeral: false },
      trigger_id: `${Date.now()}.${randomBytes(4).toString("hex")}`,
      team: { id: "T0001", domain: "example" },
      channel: { id: o.channel, name: "approvals" },
      message: { ts: o.ts, type: "message" },
      response_url: `${this.url}/response/${randomBytes(6).toString("hex")}`,
      actions: [
        {
          action_id: o.action,
          block_id: "countersign_decide",
          text: { type: "plain_text", text: o.action === "approve" ? "Approve" : "Deny" },
          value: o.requestId,
          type: "button",
          action_ts: `${Date.now() / 1000}`,
        },
      ],
    };
  }

  /** The reason dialog submitted (view_submission), from the view Countersign opened. */
  submissionPayload(o: { user: string; view: { callback_id: string; private_metadata: string }; reason: string }) {
    return {
      type: "view_submission",
      team: { id: "T0001", domain: "example" },
      user: { id: o.user, username: o.user.toLowerCase(), team_id: "T0001" },
      api_app_id: "A0001",
      trigger_id: `${Date.now()}.${randomBytes(4).toString("hex")}`,
      view: {
        id: "V0001",
        type: "modal",
        callback_id: o.view.callback_id,
        private_metadata: o.view.private_metadata,
        state: { values: { reason: { reason: { type: "plain_text_input", value: o.reason } } } },
      },
    };
  }
}
