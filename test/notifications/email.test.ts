import { randomBytes } from "node:crypto";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { resetEnv } from "../../lib/env.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../../lib/agents/create-agent.ts";
import { suspendAgent } from "../../lib/agents/suspend-agent.ts";
import { pool } from "../../lib/db.ts";
import { dispatchEmails } from "../../lib/notifications/dispatch-email.ts";
import { sweepReminders } from "../../lib/notifications/reminders.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { createUser } from "../../lib/users/create-user.ts";
import type { Role } from "../../lib/users/roles.ts";
import { addGroupMember } from "../../lib/users/groups.ts";
import { passwordSignIn } from "../support/password-sign-in.ts";
import { freePort, LOCAL_RECEIVERS_ENV, startTestApp, startTestDatabase, type TestApp, type TestDatabase } from "../support/test-server.ts";
import { Webhook } from "standardwebhooks";
import { eventually, Receiver } from "../delivery/receiver.ts";

/**
 * Email against a real SMTP server (smtp-server, in this process) and the
 * real app over HTTP. This suite runs its own PostgreSQL and app, so the
 * recipients are exactly the users it creates: the app emails every eligible
 * reviewer, and the shared suite's hundreds of users would all be eligible.
 * Reminders and escalation run on a controllable clock: the test calls the
 * sweep with the time it wants; the app's own sweep runs on the real clock,
 * long before these requests reach their reminder point.
 */

interface Mail {
  to: string[];
  parsed: ParsedMail;
}

const inbox: Mail[] = [];
/** Recipients the SMTP server refuses: 451 (try later) or 550 (never). */
const refuse = new Map<string, 451 | 550>();
let smtp: SMTPServer;
let database: TestDatabase;
let app: TestApp;
const WAIT = 900;
const ESCALATION_GROUP = "on-call";

const mails = (pred: (m: Mail) => boolean) => inbox.filter(pred);
const to = (email: string) => (m: Mail) => m.to.includes(email);
const about = (requestId: string) => (m: Mail) => (m.parsed.text ?? "").includes(`/requests/${requestId}`);

async function inboxHas(pred: (m: Mail) => boolean, n = 1): Promise<Mail[]> {
  return eventually(
    async () => mails(pred),
    (found) => found.length >= n,
    20_000,
  );
}

interface User {
  id: string;
  email: string;
  password: string;
}

async function user(role: Role, name: string): Promise<User> {
  const email = `${name}-${randomBytes(3).toString("hex")}@example.test`;
  const password = randomBytes(12).toString("base64url");
  const { userId } = await createUser({ email, role, password, actor: "test" });
  return { id: userId, email, password };
}

async function session(u: User): Promise<string> {
  const cookie = await passwordSignIn(app.url, u);
  if (!cookie) throw new Error(`sign-in failed for ${u.email}`);
  return cookie;
}

function call(cookie: string | null, path: string, init: { method?: string; json?: unknown; key?: string; origin?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (cookie) headers.cookie = cookie;
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  if (init.method && init.method !== "GET") headers.origin = init.origin ?? app.url;
  return fetch(app.url + path, { method: init.method ?? "GET", headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
}

async function ask(key: string, body: Record<string, unknown>): Promise<{ id: string; created_at: string; expires_at: string }> {
  const res = await call(null, "/api/v1/requests", {
    method: "POST",
    key,
    json: { action: "payments.refund", resource: "customer:cus_123", params: { amount: 500, currency: "USD" }, expires_in: WAIT, ...body },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

/** The sweep as the app runs it (same settings as the app's environment above), on the test's clock. */
const sweep = (o: { now: Date }) => sweepReminders({ now: o.now, config: { remindAt: 0.5, escalation: { group: ESCALATION_GROUP, at: 0.8 } } });

async function auditTypes(requestId: string): Promise<string[]> {
  const { rows } = await pool().query("SELECT type FROM audit_events WHERE request_id = $1 ORDER BY id", [requestId]);
  return rows.map((r) => r.type as string);
}

let admin: User, alice: User, bob: User, quiet: User, auditor: User, owner: User, manager: User;
let agent: { agentId: string; key: string; name: string };

beforeAll(async () => {
  const smtpPort = await freePort();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, callback) {
      const code = refuse.get(address.address);
      if (!code) return callback();
      const err = Object.assign(new Error(code === 451 ? "mailbox busy, try later" : "no such mailbox"), { responseCode: code });
      callback(err);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), parsed });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", resolve));

  database = await startTestDatabase();
  // Domain calls from this file (users, sweeps with a chosen clock) go to this suite's database.
  process.env.DATABASE_URL = database.url;
  // Read again: starting the database may already have parsed the environment (and its DATABASE_URL).
  resetEnv();
  app = await startTestApp(database.url, {
    COUNTERSIGN_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    COUNTERSIGN_EMAIL_FROM: "Countersign <approvals@example.test>",
    COUNTERSIGN_ESCALATION_GROUP: ESCALATION_GROUP,
    COUNTERSIGN_REMINDER_AT: "0.5",
    COUNTERSIGN_ESCALATE_AT: "0.8",
    COUNTERSIGN_WEBHOOK_TIMEOUT_SECONDS: "5",
    ...LOCAL_RECEIVERS_ENV,
  });
  process.env.COUNTERSIGN_PUBLIC_URL = app.url;

  [admin, alice, bob, quiet, auditor, owner, manager] = await Promise.all([
    user("admin", "admin"),
    user("reviewer", "alice"),
    user("reviewer", "bob"),
    user("reviewer", "quiet"),
    user("auditor", "auditor"),
    user("reviewer", "owner"),
    user("auditor", "manager"),
  ]);
  await addGroupMember({ email: manager.email, group: ESCALATION_GROUP, actor: "test", createGroup: true });
  const created = await createAgent({ name: "billing-bot", ownerEmail: owner.email, actor: "test" });
  agent = { agentId: created.agentId, key: created.key, name: "billing-bot" };
  // Large refunds need two approvals, so a reminder can find one reviewer who voted and others who did not.
  await createRule({
    definition: { name: "large-refunds", actions: ["payments.refund"], condition: "params.amount >= 1000", effect: "require_approval", approvals_required: 2 },
    actor: "test",
  });
  // `quiet` wants no email about new requests, but does want reminders.
  const res = await call(await session(quiet), "/api/v1/review/notification-preferences", { method: "PUT", json: { email_new_requests: false } });
  expect(res.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await database?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

describe("email to reviewers", () => {
  it("a new pending request emails every reviewer who may decide it, and nobody else", async () => {
    const r = await ask(agent.key, { summary: "Refund $500 to cus_123" });
    const sent = await inboxHas(about(r.id), 3);
    const recipients = sent.flatMap((m) => m.to).sort();
    // Not the auditor, not the agent's owner (no self-approval), not `quiet` (preference).
    expect(recipients).toEqual([admin.email, alice.email, bob.email].sort());

    const mail = sent.find(to(alice.email))!.parsed;
    expect(mail.subject).toBe("Approval needed: Refund $500 to cus_123 (billing-bot)");
    expect(mail.from?.value).toEqual([{ name: "Countersign", address: "approvals@example.test" }]);
    expect(mail.text).toContain("Agent: billing-bot");
    expect(mail.text).toContain("Action: payments.refund");
    expect(mail.text).toContain(`Review the request: ${app.url}/requests/${r.id}`);
    expect(mail.html).toContain(`href="${app.url}/requests/${r.id}"`);
    expect(mail.messageId).toMatch(/^<msg_[0-9a-f]{32}@countersign>$/);
    // One-time decision links are off unless COUNTERSIGN_EMAIL_DECISION_LINKS turns them on (test/notifications/decision-links.test.ts).
    expect(mail.text).not.toContain("/decide/");

    // Each email is a delivery in the admin's history, addressed mailto:.
    const history = await call(await session(admin), `/api/v1/admin/deliveries?limit=100`);
    const rows = (await history.json()).data.filter((d: { request_id: string }) => d.request_id === r.id);
    expect(rows.map((d: { url: string }) => d.url).sort()).toEqual([admin.email, alice.email, bob.email].map((e) => `mailto:${e}`).sort());
    expect(rows.every((d: { status: string }) => d.status === "delivered")).toBe(true);
  });

  it("agent text stays inert: escaped in HTML, one line in the subject, no injected headers", async () => {
    const summary = 'Refund <script>alert(1)</script> "now"\r\nBcc: attacker@evil.test';
    const r = await ask(agent.key, { summary, justification: "<img src=x onerror=alert(1)>" });
    const [mail] = await inboxHas((m) => about(r.id)(m) && to(alice.email)(m));
    expect(mail.parsed.subject).toBe('Approval needed: Refund <script>alert(1)</script> "now" Bcc: attacker@evil.test (billing-bot)');
    expect(mail.parsed.bcc).toBeUndefined();
    expect(mail.parsed.headers.has("bcc")).toBe(false);
    expect(mail.parsed.html).not.toContain("<script>");
    expect(mail.parsed.html).not.toContain("<img");
    expect(mail.parsed.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(mail.parsed.text).toContain("Justification: <img src=x onerror=alert(1)>");
    // Nobody beyond the eligible reviewers got it.
    expect(mails(about(r.id)).flatMap((m) => m.to)).not.toContain("attacker@evil.test");
  });

  it("hidden characters, in params too, are named in a warning and written as markers", async () => {
    const r = await ask(agent.key, { summary: "Pay out\u200b now", params: { amount: 5, to: "acct_\u202e1234_evil\u202c" } });
    const [mail] = await inboxHas((m) => about(r.id)(m) && to(alice.email)(m));
    expect(mail.parsed.subject).toBe("Approval needed (hidden characters): Pay out⟨U+200B ZWSP⟩ now (billing-bot)");
    expect(mail.parsed.text).toMatch(
      /^WARNING: This request contains hidden or direction-changing characters: summary: U\+200B ZERO WIDTH SPACE; params\.to: U\+202E RIGHT-TO-LEFT OVERRIDE, U\+202C POP DIRECTIONAL FORMATTING\./,
    );
    expect(mail.parsed.html).toContain("<strong>Warning:</strong> This request contains hidden or direction-changing characters");
    for (const part of [mail.parsed.subject, mail.parsed.text, mail.parsed.html]) expect(part).not.toMatch(/[\u200b\u202e\u202c]/);
  });

  it("with several instances dispatching at once, each email is queued once", async () => {
    // This test process dispatches too (four at a time), racing the app: the locked cursor lets one through at a time.
    const ids = await Promise.all(
      [1, 2, 3].map((i) => ask(agent.key, { summary: `Refund $50${i}, raced`, params: { amount: 500 + i, currency: "USD" } }).then((r) => r.id)),
    );
    await Promise.all([1, 2, 3, 4].map(() => dispatchEmails()));
    for (const id of ids) await inboxHas(about(id), 3);
    const { rows } = await pool().query("SELECT request_id, url, count(*)::int AS n FROM deliveries WHERE request_id = ANY($1) GROUP BY 1, 2", [ids]);
    expect(rows).toHaveLength(9);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(ids.flatMap((id) => mails(about(id)))).toHaveLength(9);
  });

  it("a request that policy decides at once emails nobody", async () => {
    await createRule({
      definition: { name: "tiny-refunds", actions: ["payments.refund"], condition: "params.amount < 5", effect: "allow" },
      position: 0,
      actor: "test",
    });
    const r = await ask(agent.key, { summary: "Refund $1", params: { amount: 1, currency: "USD" } });
    // A later pending request's emails arrive, so the dispatcher has passed this one.
    const later = await ask(agent.key, { summary: "Refund $600 after the tiny one", params: { amount: 600, currency: "USD" } });
    await inboxHas(about(later.id), 3);
    expect(mails(about(r.id))).toEqual([]);
  });
});

describe("reminders and escalation, on a controllable clock", () => {
  it("at half the wait, reviewers who have not voted are reminded, once; at 80 % the escalation group is told", async () => {
    const receiver = await Receiver.start();
    const hook = await call(await session(admin), "/api/v1/admin/webhooks", {
      method: "POST",
      json: { url: receiver.url, event_types: ["request.expiring", "request.escalated"] },
    });
    expect(hook.status).toBe(201);
    const { secret } = await hook.json();
    const r = await ask(agent.key, { summary: "Refund $2,000 to cus_9", params: { amount: 2000, currency: "USD" } });
    await inboxHas(about(r.id), 3);
    // Alice approves (one of two approvals needed): she is not reminded.
    const vote = await call(await session(alice), `/api/v1/requests/${r.id}/decisions`, { method: "POST", json: { decision: "approve", reason: "ok" } });
    expect(vote.status).toBe(200);

    const created = new Date(r.created_at).getTime();
    const at = (share: number) => new Date(created + share * WAIT * 1000);
    // Before the reminder point nothing happens.
    expect(await sweep({ now: at(0.4) })).toEqual({ reminded: 0, escalated: 0 });

    const first = await sweep({ now: at(0.55) });
    expect(first.reminded).toBeGreaterThanOrEqual(1);
    expect(await auditTypes(r.id)).toEqual(["request.created", "request.vote_recorded", "request.expiring"]);
    const reminders = await inboxHas((m) => about(r.id)(m) && (m.parsed.subject ?? "").startsWith("Reminder"), 3);
    // Bob and the admin had not voted; `quiet` wants reminders; Alice voted already.
    expect(reminders.flatMap((m) => m.to).sort()).toEqual([admin.email, bob.email, quiet.email].sort());
    expect(reminders[0].parsed.subject).toMatch(/^Reminder, (6|7) minutes left: Refund \$2,000 to cus_9$/);

    // Once only.
    await sweep({ now: at(0.6) });
    expect((await auditTypes(r.id)).filter((t) => t === "request.expiring")).toHaveLength(1);

    await sweep({ now: at(0.85) });
    expect(await auditTypes(r.id)).toEqual(["request.created", "request.vote_recorded", "request.expiring", "request.escalated"]);
    const [escalation] = await inboxHas((m) => about(r.id)(m) && (m.parsed.subject ?? "").startsWith("Escalated"));
    // The group's member is told, though as an auditor they cannot decide it themselves.
    expect(escalation.to).toEqual([manager.email]);
    expect(escalation.parsed.text).toContain(`escalated to the ${ESCALATION_GROUP} group; you cannot decide it yourself`);
    expect(escalation.parsed.text).toContain(`Open the request: ${app.url}/requests/${r.id}`);

    // Chat tools hear both through webhooks, signed, with a deep link.
    await receiver.waitFor((got) => got.filter((g) => g.json.data.request?.id === r.id).length === 2);
    const hooks = receiver.received.filter((g) => g.json.data.request?.id === r.id);
    expect(hooks.map((g) => g.json.type)).toEqual(["request.expiring", "request.escalated"]);
    for (const g of hooks) expect(() => new Webhook(secret).verify(g.body, g.headers)).not.toThrow();
    expect(hooks[0].json.text).toMatch(/^Still undecided, expires in 7 min: "Refund \$2,000 to cus_9" \(billing-bot, payments.refund\)\. Review: http/);
    expect(hooks[1].json.text).toContain(`Escalated to ${ESCALATION_GROUP}, undecided with 2 min left`);
    expect(hooks[1].json.data.request.url).toBe(`${app.url}/requests/${r.id}`);
    await receiver.down();
  });

  it("a decided request is neither reminded nor escalated", async () => {
    const r = await ask(agent.key, { summary: "Refund $700, decided quickly", params: { amount: 700, currency: "USD" } });
    const res = await call(await session(bob), `/api/v1/requests/${r.id}/decisions`, { method: "POST", json: { decision: "deny", reason: "duplicate" } });
    expect(res.status).toBe(200);
    await sweep({ now: new Date(new Date(r.created_at).getTime() + 0.9 * WAIT * 1000) });
    expect(await auditTypes(r.id)).toEqual(["request.created", "request.vote_recorded", "request.denied"]);
  });
});

describe("owners, preferences and failures", () => {
  it("the owner of a suspended agent is told why", async () => {
    const other = await createAgent({ name: "ops-bot", ownerEmail: "ops-lead@example.test", actor: "test" });
    await suspendAgent({ agentId: other.agentId, actor: `user:${admin.id}`, reason: "it looped on refunds" });
    const [mail] = await inboxHas(to("ops-lead@example.test"));
    expect(mail.parsed.subject).toBe("Agent ops-bot was suspended");
    expect(mail.parsed.text).toContain("Reason: it looped on refunds");
    expect(mail.parsed.text).toContain(`${app.url}/admin/agents/${other.agentId}`);
  });

  it("preferences are the user's own, validated, and audited", async () => {
    const cookie = await session(bob);
    const before = await call(cookie, "/api/v1/review/notification-preferences");
    expect(await before.json()).toEqual({
      email_new_requests: true,
      email_reminders: true,
      email_escalations: true,
      email_agent_alerts: true,
      email_enabled: true,
    });
    const bad = await call(cookie, "/api/v1/review/notification-preferences", { method: "PUT", json: { email_reminders: "no" } });
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const unknown = await call(cookie, "/api/v1/review/notification-preferences", { method: "PUT", json: { email_everything: false } });
    expect(unknown.status).toBe(422);
    const crossSite = await call(cookie, "/api/v1/review/notification-preferences", {
      method: "PUT",
      json: { email_reminders: false },
      origin: "https://evil.test",
    });
    expect(crossSite.status).toBe(403);
    expect(await call(null, "/api/v1/review/notification-preferences").then((r) => r.status)).toBe(401);

    const res = await call(cookie, "/api/v1/review/notification-preferences", { method: "PUT", json: { email_reminders: false } });
    expect(await res.json()).toMatchObject({ email_new_requests: true, email_reminders: false });
    const { rows } = await pool().query("SELECT actor, data FROM audit_events WHERE type = 'user.notification_preferences_changed' AND actor = $1", [
      `user:${bob.id}`,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].data).toMatchObject({ before: { email_reminders: true }, after: { email_reminders: false } });
  });

  it("a server that says try later is retried; one that refuses for good is given up, and an admin can retry it", async () => {
    const flaky = await user("reviewer", "flaky");
    const gone = await user("reviewer", "gone");
    refuse.set(flaky.email, 451);
    refuse.set(gone.email, 550);
    const r = await ask(agent.key, { summary: "Refund $800 while mail is flaky", params: { amount: 800, currency: "USD" } });
    const cookie = await session(admin);
    const deliveriesOf = async () =>
      (
        (await (await call(cookie, "/api/v1/admin/deliveries?limit=100")).json()).data as {
          id: string;
          url: string;
          request_id: string;
          status: string;
          attempts: number;
          last_error: string | null;
        }[]
      ).filter((d) => d.request_id === r.id);
    const settled = await eventually(
      deliveriesOf,
      (ds) =>
        ds.some((d) => d.url === `mailto:${gone.email}` && d.status === "dead") && ds.some((d) => d.url === `mailto:${flaky.email}` && d.status === "failed"),
    );
    expect(settled.find((d) => d.url === `mailto:${flaky.email}`)).toMatchObject({
      status: "failed",
      attempts: 1,
      last_error: expect.stringContaining("try later"),
    });
    expect(settled.find((d) => d.url === `mailto:${gone.email}`)).toMatchObject({
      status: "dead",
      attempts: 1,
      last_error: expect.stringContaining("no such mailbox"),
    });
    expect(mails(about(r.id)).flatMap((m) => m.to)).not.toContain(gone.email);

    // The busy mailbox recovers: the worker's next attempt, after its backoff, delivers.
    refuse.delete(flaky.email);
    await inboxHas((m) => about(r.id)(m) && to(flaky.email)(m));
    expect((await deliveriesOf()).find((d) => d.url === `mailto:${flaky.email}`)).toMatchObject({ status: "delivered", attempts: 2 });

    // The dead one stays dead until an admin retries it from the history; then it arrives.
    refuse.delete(gone.email);
    const dead = settled.find((d) => d.url === `mailto:${gone.email}`)!;
    const retry = await call(cookie, `/api/v1/admin/deliveries/${dead.id}/retry`, { method: "POST" });
    expect(retry.status).toBe(202);
    const [mail] = await inboxHas((m) => about(r.id)(m) && to(gone.email)(m));
    expect(mail.parsed.messageId).toBe(`<${dead.id}@countersign>`);
  });
});
