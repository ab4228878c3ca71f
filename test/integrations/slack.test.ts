import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../../lib/agents/create-agent.ts";
import { pool } from "../../lib/db.ts";
import { resetEnv } from "../../lib/env.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { decideRequest } from "../../lib/requests/decide-request.ts";
import { createUser } from "../../lib/users/create-user.ts";
import { addGroupMember } from "../../lib/users/groups.ts";
import { eventually } from "../delivery/receiver.ts";
import { type SlackCall, SlackStandIn } from "../support/slack-stand-in.ts";
import { startTestApp, startTestDatabase, type TestApp, type TestDatabase } from "../support/test-server.ts";

/**
 * The Slack app against a local stand-in of Slack's Web API
 * (test/support/slack-stand-in.ts) and the real app over HTTP, with
 * interaction payloads signed exactly as Slack signs them. Like the email
 * suite, it runs its own PostgreSQL and app, configured for the stand-in.
 */

const DEFAULT_CHANNEL = "CALLREVIEW";
const FINANCE_CHANNEL = "CFINANCE";
const INTERACTIONS = "/api/v1/integrations/slack/interactions";

let slack: SlackStandIn;
let database: TestDatabase;
let app: TestApp;
let agent: { agentId: string; key: string };
const people: Record<string, { id: string; email: string; slackId: string }> = {};

async function person(name: string, o: { role?: "reviewer" | "admin"; slack?: "confirmed" | "unconfirmed" | "none" } = {}) {
  const email = `${name}-${randomBytes(3).toString("hex")}@example.test`;
  const { userId } = await createUser({ email, role: o.role ?? "reviewer", password: randomBytes(12).toString("base64url"), actor: "test" });
  const slackId = `U${name.toUpperCase()}`;
  if (o.slack !== "none") slack.users.set(slackId, { email: email.toUpperCase(), confirmed: o.slack !== "unconfirmed" });
  people[name] = { id: userId, email, slackId };
}

async function ask(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${app.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "payments.refund", params: { amount: 500, currency: "USD" }, summary: "Refund $500 to cus_123", ...body }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()).id;
}

/** The message posted about a request (waits for it). */
async function posted(requestId: string): Promise<SlackCall> {
  const [call] = await eventually(
    async () => slack.of("chat.postMessage", (a) => JSON.stringify(a.blocks).includes(requestId)),
    (c) => c.length > 0,
    20_000,
  );
  return call;
}

/** The `ts` Slack gave that message (as the app stored it). */
async function messageTs(requestId: string): Promise<{ channel: string; ts: string }> {
  const { rows } = await pool().query("SELECT channel, ts FROM slack_messages WHERE request_id = $1", [requestId]);
  return eventually(
    async () => (await pool().query("SELECT channel, ts FROM slack_messages WHERE request_id = $1", [requestId])).rows[0] ?? rows[0],
    (r) => !!r,
    20_000,
  );
}

function interact(signed: { body: string; headers: Record<string, string> }): Promise<Response> {
  return fetch(app.url + INTERACTIONS, { method: "POST", headers: signed.headers, body: signed.body });
}

async function press(who: string, action: "approve" | "deny", requestId: string): Promise<{ res: Response; responseUrl: string }> {
  const { channel, ts } = await messageTs(requestId);
  const payload = slack.buttonPayload({ user: people[who]?.slackId ?? who, action, requestId, channel, ts });
  const res = await interact(slack.signed(payload));
  return { res, responseUrl: payload.response_url };
}

const status = async (id: string) => (await pool().query("SELECT status, decision_reason FROM action_requests WHERE id = $1", [id])).rows[0];
const votes = async (id: string) => (await pool().query("SELECT reviewer_email, decision, reason FROM votes WHERE request_id = $1", [id])).rows;

/** What the user was told ephemerally through a response_url. */
async function toldAt(responseUrl: string): Promise<string> {
  const id = responseUrl.split("/").pop();
  const [call] = await eventually(
    async () => slack.of("response_url", (a) => a.id === id),
    (c) => c.length > 0,
    10_000,
  );
  expect(call.args.response_type).toBe("ephemeral");
  return String(call.args.text);
}

/** The chat.update calls for a message, waiting for one that matches. */
async function updated(ts: string, pred: (text: string) => boolean): Promise<SlackCall> {
  const calls = await eventually(
    async () => slack.of("chat.update", (a) => a.ts === ts && pred(JSON.stringify(a.blocks))),
    (c) => c.length > 0,
    20_000,
  );
  return calls[calls.length - 1];
}

beforeAll(async () => {
  slack = await SlackStandIn.start();
  database = await startTestDatabase();
  process.env.DATABASE_URL = database.url;
  resetEnv();
  app = await startTestApp(database.url, {
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    SLACK_CHANNELS: `finance:${FINANCE_CHANNEL}`,
    SLACK_DEFAULT_CHANNEL: DEFAULT_CHANNEL,
  });
  process.env.COUNTERSIGN_PUBLIC_URL = app.url;
  await person("alice");
  await person("bob");
  await person("carol");
  await person("owner");
  await person("unconfirmed", { slack: "unconfirmed" });
  await addGroupMember({ email: people.carol.email, group: "finance", actor: "test", createGroup: true });
  slack.users.set("USTRANGER", { email: "stranger@example.test", confirmed: true });
  const created = await createAgent({ name: "billing-bot", ownerEmail: people.owner.email, actor: "test" });
  agent = { agentId: created.agentId, key: created.key };
  await createRule({
    definition: { name: "finance-payouts", actions: ["payments.payout"], effect: "require_approval", reviewers: { groups: ["finance"] } },
    actor: "test",
  });
  await createRule({
    definition: { name: "db-drops", actions: ["db.drop_database"], effect: "require_approval", chat_approval: false },
    actor: "test",
  });
  await createRule({
    definition: { name: "reasoned-payments", actions: ["payments.reasoned"], effect: "require_approval", reason_required_to_approve: true },
    actor: "test",
  });
  await createRule({
    definition: { name: "big-refunds", actions: ["payments.refund"], condition: "params.amount >= 10000", effect: "require_approval", approvals_required: 2 },
    actor: "test",
  });
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await database?.stop();
  await slack?.stop();
});

describe("Slack: posting requests", () => {
  it("posts a new pending request to the default channel, agent text inert, with Approve and Deny", async () => {
    const id = await ask({ summary: "Refund <!channel> *now* <https://evil.test|click>", params: { amount: 500, note: "```<@U1>```" } });
    const call = await posted(id);
    expect(call.authorization).toBe(`Bearer ${slack.token}`);
    expect(call.args.channel).toBe(DEFAULT_CHANNEL);
    const blocks = call.args.blocks as { type: string; text?: { type: string; text: string }; elements?: unknown[] }[];
    // The summary is plain_text (Slack never reads it as markup); the fallback text is escaped.
    const summary = blocks.find((b) => b.type === "section" && b.text?.text.includes("Refund"));
    expect(summary?.text).toEqual({ type: "plain_text", text: "Refund <!channel> *now* <https://evil.test|click>", emoji: false });
    expect(call.args.text).toBe("Approval needed: Refund &lt;!channel&gt; *now* &lt;https://evil.test|click&gt;");
    // Params as literal preformatted text.
    const params = blocks.find((b) => b.type === "rich_text");
    expect(JSON.stringify(params)).toContain('"type":"rich_text_preformatted"');
    expect(JSON.stringify(params)).toContain(JSON.stringify('"note": "```<@U1>```"').slice(1, -1));
    const actions = blocks.find((b) => b.type === "actions") as { elements: { action_id: string; value?: string; url?: string }[] };
    expect(actions.elements.map((e) => e.action_id)).toEqual(["approve", "deny", "open"]);
    expect(actions.elements[0].value).toBe(id);
    expect(actions.elements[2].url).toBe(`${app.url}/requests/${id}`);
    expect(await messageTs(id)).toEqual({ channel: DEFAULT_CHANNEL, ts: expect.stringMatching(/^\d+\.\d{6}$/) });
  });

  it("posts a request for a reviewer group to that group's channel", async () => {
    const id = await ask({ action: "payments.payout", summary: "Payout to vendor" });
    expect((await posted(id)).args.channel).toBe(FINANCE_CHANNEL);
  });

  it("a rule with chat_approval: false gets a link to the dashboard instead of buttons, and a forged press is refused", async () => {
    const id = await ask({ action: "db.drop_database", resource: "db:orders", summary: "Drop orders" });
    const call = await posted(id);
    const text = JSON.stringify(call.args.blocks);
    expect(text).not.toContain('"action_id":"approve"');
    expect(text).toContain("decisions in the dashboard");
    expect(text).toContain(`${app.url}/requests/${id}`);
    const { res, responseUrl } = await press("alice", "approve", id);
    expect(res.status).toBe(200);
    expect(await toldAt(responseUrl)).toContain("This rule asks for decisions on the dashboard");
    expect((await status(id)).status).toBe("pending");
  });
});

describe("Slack: deciding", () => {
  it("Approve from Slack approves, and the message is updated to say who decided", async () => {
    const id = await ask({ summary: "Refund $500 for the approve test" });
    const { ts } = await messageTs(id);
    const { res } = await press("alice", "approve", id);
    expect(res.status).toBe(200);
    expect(await status(id)).toMatchObject({ status: "approved" });
    expect(await votes(id)).toEqual([{ reviewer_email: people.alice.email, decision: "approve", reason: null }]);
    const update = await updated(ts, (t) => t.includes("Approved by"));
    expect(JSON.stringify(update.args.blocks)).toContain(`Approved by ${people.alice.email}`);
    expect(JSON.stringify(update.args.blocks)).not.toContain('"action_id":"approve"');
  });

  it("Deny opens a reason dialog and denies with that reason when it is submitted", async () => {
    const id = await ask({ summary: "Refund $500 for the deny test" });
    const { ts } = await messageTs(id);
    const { res } = await press("bob", "deny", id);
    expect(res.status).toBe(200);
    const [open] = await eventually(
      async () => slack.of("views.open", (a) => String((a.view as { private_metadata: string }).private_metadata).includes(id)),
      (c) => c.length > 0,
      10_000,
    );
    expect((await status(id)).status).toBe("pending");
    const view = open.args.view as { callback_id: string; private_metadata: string };
    // An empty reason is refused in the dialog itself.
    const empty = await interact(slack.signed(slack.submissionPayload({ user: people.bob.slackId, view, reason: "  " })));
    expect(await empty.json()).toEqual({ response_action: "errors", errors: { reason: "A reason is required." } });
    const submitted = await interact(slack.signed(slack.submissionPayload({ user: people.bob.slackId, view, reason: "Refunded already on 2026-11-21" })));
    expect(submitted.status).toBe(200);
    expect(await submitted.text()).toBe("");
    expect(await status(id)).toEqual({ status: "denied", decision_reason: "Refunded already on 2026-11-21" });
    await updated(ts, (t) => t.includes(`Denied by ${people.bob.email} (\\"Refunded already on 2026-11-21\\")`));
  });

  it("where the rule requires a reason to approve, Approve opens the reason dialog too", async () => {
    const id = await ask({ action: "payments.reasoned", summary: "Reasoned payment" });
    await press("alice", "approve", id);
    const [open] = await eventually(
      async () => slack.of("views.open", (a) => String((a.view as { private_metadata: string }).private_metadata).includes(id)),
      (c) => c.length > 0,
      10_000,
    );
    const view = open.args.view as { callback_id: string; private_metadata: string; submit: { text: string } };
    expect(view.submit.text).toBe("Approve");
    expect(JSON.parse(view.private_metadata)).toMatchObject({ request_id: id, decision: "approve" });
    expect((await status(id)).status).toBe("pending");
    const submitted = await interact(slack.signed(slack.submissionPayload({ user: people.alice.slackId, view, reason: "Invoice 42 matches" })));
    expect(submitted.status).toBe(200);
    expect(await status(id)).toEqual({ status: "approved", decision_reason: "Invoice 42 matches" });
  });

  it("refuses self-approval (the agent's owner) and says why, only to them", async () => {
    const id = await ask({ summary: "Refund $500, owner tries" });
    const { res, responseUrl } = await press("owner", "approve", id);
    expect(res.status).toBe(200);
    expect(await toldAt(responseUrl)).toBe("You cannot decide this request: you cannot decide a request from an agent you own.");
    expect(await votes(id)).toEqual([]);
    expect((await status(id)).status).toBe("pending");
  });

  it("refuses a Slack user who is not a reviewer, and one whose email Slack has not confirmed", async () => {
    const id = await ask({ summary: "Refund $500, strangers try" });
    const stranger = await press("USTRANGER", "approve", id);
    expect(stranger.res.status).toBe(200);
    expect(await toldAt(stranger.responseUrl)).toBe("Your Slack email address is not a Countersign reviewer's.");
    const unconfirmed = await press("unconfirmed", "approve", id);
    expect(await toldAt(unconfirmed.responseUrl)).toContain("is not confirmed");
    const unknown = await press("UNOBODY", "approve", id);
    expect(await toldAt(unknown.responseUrl)).toContain("could not look up your Slack account");
    expect(await votes(id)).toEqual([]);
  });

  it("applies the rule's groups: only finance decides a payout", async () => {
    const id = await ask({ action: "payments.payout", summary: "Payout, groups test" });
    const alice = await press("alice", "approve", id);
    // Outside the rule's groups the request is not even visible.
    expect(await toldAt(alice.responseUrl)).toBe("No such request.");
    const carol = await press("carol", "approve", id);
    expect(carol.res.status).toBe(200);
    expect((await status(id)).status).toBe("approved");
  });

  it("counts toward M-of-N and shows the count; a decision on the dashboard updates the message too", async () => {
    const id = await ask({ summary: "Big refund", params: { amount: 20000, currency: "USD" } });
    const { ts } = await messageTs(id);
    await press("alice", "approve", id);
    await updated(ts, (t) => t.includes(`1 of 2 approvals: ${people.alice.email}`));
    expect((await status(id)).status).toBe("pending");
    // Alice again: already voted.
    const again = await press("alice", "approve", id);
    expect(await toldAt(again.responseUrl)).toBe("You cannot decide this request: you have already voted.");
    await decideRequest({ requestId: id, reviewer: { id: people.bob.id, email: people.bob.email, role: "reviewer" }, decision: "approve" });
    await updated(ts, (t) => t.includes(`Approved by ${people.alice.email}, ${people.bob.email}`));
  });

  it("a decision made while Slack is still answering the post reaches the message (Slack is called outside any transaction)", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    slack.holdAnswer = async (method, args) => {
      if (method === "chat.postMessage" && JSON.stringify(args.blocks).includes("Held refund")) await held;
    };
    try {
      const id = await ask({ summary: "Held refund" });
      await posted(id);
      // Slack has not answered yet, and the Slack cursor is not locked: no transaction waits on Slack.
      const client = await pool().connect();
      try {
        await client.query("BEGIN");
        const locked = await client.query("SELECT id FROM delivery_cursors WHERE id = 'slack' FOR UPDATE NOWAIT");
        expect(locked.rows).toEqual([{ id: "slack" }]);
      } finally {
        await client.query("ROLLBACK");
        client.release();
      }
      await decideRequest({ requestId: id, reviewer: { id: people.bob.id, email: people.bob.email, role: "reviewer" }, decision: "approve" });
      expect((await status(id)).status).toBe("approved");
      release();
      const { ts } = await messageTs(id);
      await updated(ts, (t) => t.includes(`Approved by ${people.bob.email}`));
    } finally {
      slack.holdAnswer = undefined;
      release();
    }
  });
});

describe("Slack: request signatures", () => {
  const someButton = () =>
    slack.buttonPayload({ user: people.alice.slackId, action: "approve", requestId: "req_none", channel: DEFAULT_CHANNEL, ts: "1.000001" });

  it("refuses a wrong signature with 401", async () => {
    const res = await interact(slack.signed(someButton(), { secret: "not-the-signing-secret" }));
    expect(res.status).toBe(401);
    expect((await res.json()).detail).toBe("the Slack signature does not match");
    const unsigned = await fetch(app.url + INTERACTIONS, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "payload=%7B%7D",
    });
    expect(unsigned.status).toBe(401);
  });

  it("parses the signed payload strictly: a duplicate name or __proto__ is 422, never applied", async () => {
    const text = JSON.stringify(someButton());
    for (const payload of [`{"type":"block_actions",${text.slice(1)}`, `{"__proto__":{"x":1},${text.slice(1)}`]) {
      const res = await interact(slack.signedText(payload));
      expect(res.status).toBe(422);
      expect((await res.json()).errors[0].path).toBe("payload");
    }
  });

  it("refuses a body changed after signing", async () => {
    const signed = slack.signed(someButton());
    const res = await interact({ ...signed, body: signed.body.replace("approve", "deny") });
    expect(res.status).toBe(401);
  });

  it("refuses a timestamp more than five minutes old (or ahead)", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await interact(slack.signed(someButton(), { timestamp: now - 301 }))).status).toBe(401);
    expect((await interact(slack.signed(someButton(), { timestamp: now + 301 }))).status).toBe(401);
    const stale = await interact(slack.signed(someButton(), { timestamp: now - 600 }));
    expect((await stale.json()).detail).toContain("five-minute window");
  });

  it("accepts a signature once: a replay is refused", async () => {
    const id = await ask({ summary: "Refund $500, replay test" });
    const { channel, ts } = await messageTs(id);
    const signed = slack.signed(slack.buttonPayload({ user: people.alice.slackId, action: "approve", requestId: id, channel, ts }));
    expect((await interact(signed)).status).toBe(200);
    const replay = await interact(signed);
    expect(replay.status).toBe(401);
    expect((await replay.json()).detail).toContain("replay");
    expect(await votes(id)).toHaveLength(1);
  });
});
