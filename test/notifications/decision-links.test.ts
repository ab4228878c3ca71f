import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { type Browser, chromium } from "@playwright/test";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../../lib/agents/create-agent.ts";
import { pool } from "../../lib/db.ts";
import { resetEnv } from "../../lib/env.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { createUser } from "../../lib/users/create-user.ts";
import { eventually } from "../delivery/receiver.ts";
import { passwordSignIn } from "../support/password-sign-in.ts";
import { freePort, LOCAL_RECEIVERS_ENV, startTestApp, startTestDatabase, type TestApp, type TestDatabase } from "../support/test-server.ts";

/**
 * One-time decision links in request emails, against a real SMTP server
 * (smtp-server, as in email.test.ts), the real app over HTTP and, for the
 * confirmation page, a real browser. Its own PostgreSQL and app, with the
 * links turned on.
 */

interface Mail {
  to: string[];
  parsed: ParsedMail;
}
interface User {
  id: string;
  email: string;
  password: string;
}

const inbox: Mail[] = [];
let smtp: SMTPServer;
let database: TestDatabase;
let app: TestApp;
let browser: Browser;
let alice: User, bob: User, owner: User;
let agentKey: string;
const SHOTS = process.env.SCREENSHOT_DIR;

async function user(name: string): Promise<User> {
  const email = `${name}-${randomBytes(3).toString("hex")}@example.test`;
  const password = randomBytes(12).toString("base64url");
  const { userId } = await createUser({ email, role: "reviewer", password, actor: "test" });
  return { id: userId, email, password };
}

const cookies = new Map<string, string>();
async function session(u: User): Promise<string> {
  if (!cookies.has(u.email)) {
    const cookie = await passwordSignIn(app.url, u);
    if (!cookie) throw new Error(`sign-in failed for ${u.email}`);
    cookies.set(u.email, cookie);
  }
  return cookies.get(u.email)!;
}

function api(cookie: string | null, path: string, init: { method?: string; json?: unknown; origin?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (cookie) headers.cookie = cookie;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  if (init.method && init.method !== "GET") headers.origin = init.origin ?? app.url;
  return fetch(app.url + path, { method: init.method ?? "GET", headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
}

async function ask(body: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${app.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agentKey}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "payments.refund", params: { amount: 500, currency: "USD" }, summary: "Refund $500 to cus_123", ...body }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()).id;
}

/** The approve and deny links in `who`'s email about `requestId` (waits for it). */
async function linksFor(who: User, requestId: string): Promise<{ approve: string; deny: string; mail: ParsedMail }> {
  const [mail] = await eventually(
    async () => inbox.filter((m) => m.to.includes(who.email) && (m.parsed.text ?? "").includes(`/requests/${requestId}`)),
    (found) => found.length > 0,
    20_000,
  );
  const text = mail.parsed.text ?? "";
  const approve = /^Approve \(you confirm on the next page\): (\S+)$/m.exec(text)?.[1];
  const deny = /^Deny \(you give the reason on the next page\): (\S+)$/m.exec(text)?.[1];
  if (!approve || !deny) throw new Error(`no decision links in:\n${text}`);
  return { approve, deny, mail: mail.parsed };
}

const tokenOf = (url: string) => url.split("/decide/")[1];
const linkApi = (url: string) => `/api/v1/decision-links/${tokenOf(url)}`;
const statusOf = async (id: string) => (await pool().query("SELECT status, decision_reason FROM action_requests WHERE id = $1", [id])).rows[0];

beforeAll(async () => {
  const smtpPort = await freePort();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, s, callback) {
      simpleParser(stream)
        .then((parsed) => {
          inbox.push({ to: s.envelope.rcptTo.map((r) => r.address), parsed });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", resolve));
  database = await startTestDatabase();
  process.env.DATABASE_URL = database.url;
  resetEnv();
  app = await startTestApp(database.url, {
    COUNTERSIGN_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    COUNTERSIGN_EMAIL_DECISION_LINKS: "true",
    COUNTERSIGN_DECISION_LINK_TTL_SECONDS: "1800",
    ...LOCAL_RECEIVERS_ENV,
  });
  process.env.COUNTERSIGN_PUBLIC_URL = app.url;
  [alice, bob, owner] = [await user("alice"), await user("bob"), await user("owner")];
  agentKey = (await createAgent({ name: "billing-bot", ownerEmail: owner.email, actor: "test" })).key;
  await createRule({ definition: { name: "long-refunds", actions: ["payments.long_refund"], effect: "require_approval", wait_seconds: 7200 }, actor: "test" });
  await createRule({
    definition: { name: "reasoned-payouts", actions: ["payments.payout"], effect: "require_approval", reason_required_to_approve: true },
    actor: "test",
  });
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
  browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await database?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

describe("one-time decision links in email", () => {
  it("each reviewer's email carries their own approve and deny links; only a hash is stored; opening one decides nothing", async () => {
    const id = await ask();
    const a = await linksFor(alice, id);
    const b = await linksFor(bob, id);
    expect(a.approve).toMatch(new RegExp(`^${app.url}/decide/cdl_[A-Za-z0-9_-]{43}$`));
    expect(new Set([a.approve, a.deny, b.approve, b.deny]).size).toBe(4);
    expect(a.mail.html).toContain(`href="${a.approve}"`);
    expect(a.mail.text).toContain(`Review the request: ${app.url}/requests/${id}`);
    // The owner may not decide: no email, so no links.
    expect(inbox.filter((m) => m.to.includes(owner.email))).toEqual([]);

    const { rows } = await pool().query("SELECT token_hash, user_id, decision, expires_at, used_at FROM decision_links WHERE request_id = $1", [id]);
    expect(rows).toHaveLength(4);
    expect(JSON.stringify(rows)).not.toContain(tokenOf(a.approve));
    // Never past the request's own expiry (15 minutes by default), and the email says so.
    const { rows: req } = await pool().query("SELECT expires_at FROM action_requests WHERE id = $1", [id]);
    for (const row of rows) expect(row.expires_at).toEqual(req[0].expires_at);
    expect(a.mail.text).toMatch(/works once, for 1[45] minutes/);
    // A longer wait: the link's own 30 minutes.
    const long = await ask({ action: "payments.long_refund" });
    const longMail = await linksFor(alice, long);
    const { rows: longRows } = await pool().query("SELECT expires_at FROM decision_links WHERE request_id = $1", [long]);
    const minutes = (new Date(longRows[0].expires_at).getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(25);
    expect(minutes).toBeLessThanOrEqual(30);
    expect(longMail.mail.text).toMatch(/works once, for (29|30) minutes/);

    // Signed out, the page sends you to sign in (and back); the API refuses.
    const page = await fetch(a.approve, { redirect: "manual" });
    expect(page.status).toBe(307);
    expect(page.headers.get("location")).toContain(`/signin?callbackUrl=${encodeURIComponent(`/decide/${tokenOf(a.approve)}`)}`);
    expect((await api(null, linkApi(a.approve))).status).toBe(401);
    expect((await api(null, linkApi(a.approve), { method: "POST", json: {} })).status).toBe(401);
    // Signed in, reading it decides nothing.
    const read = await api(await session(alice), linkApi(a.approve));
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      state: "ready",
      decision: "approve",
      reason_required: false,
      request: { id, status: "pending", can_decide: true },
    });
    expect((await statusOf(id)).status).toBe("pending");
  });

  it("works only for the reviewer it was sent to, same-origin, once; its pair is spent with it", async () => {
    const id = await ask({ summary: "Refund $500, link approve" });
    const a = await linksFor(alice, id);
    const bobCookie = await session(bob);
    expect((await api(bobCookie, linkApi(a.approve))).status).toBe(404);
    expect((await api(bobCookie, linkApi(a.approve), { method: "POST", json: {} })).status).toBe(404);
    expect((await api(await session(alice), "/api/v1/decision-links/cdl_not-a-real-token")).status).toBe(404);

    const cookie = await session(alice);
    const crossSite = await api(cookie, linkApi(a.approve), { method: "POST", json: {}, origin: "https://evil.test" });
    expect(crossSite.status).toBe(403);
    expect((await statusOf(id)).status).toBe("pending");

    const confirmed = await api(cookie, linkApi(a.approve), { method: "POST", json: {} });
    expect(confirmed.status, await confirmed.clone().text()).toBe(200);
    expect(await confirmed.json()).toMatchObject({ id, status: "approved", votes: [{ reviewer: alice.email, decision: "approve" }] });

    const again = await api(cookie, linkApi(a.approve), { method: "POST", json: {} });
    expect(again.status).toBe(409);
    expect((await again.json()).detail).toBe("this decision link was already used");
    expect(await (await api(cookie, linkApi(a.approve))).json()).toMatchObject({ state: "used" });
    expect(await (await api(cookie, linkApi(a.deny))).json()).toMatchObject({ state: "used" });
    // Bob's links still open, and say the request is decided.
    const bobs = await linksFor(bob, id);
    expect(await (await api(bobCookie, linkApi(bobs.approve))).json()).toMatchObject({ state: "ready", request: { status: "approved", can_decide: false } });
    const late = await api(bobCookie, linkApi(bobs.deny), { method: "POST", json: { reason: "too late" } });
    expect(late.status).toBe(409);
  });

  it("applies the dashboard's rules: a reason to deny (the link stays usable), a reason where the rule demands one to approve", async () => {
    const id = await ask({ summary: "Refund $500, link deny" });
    const { deny } = await linksFor(alice, id);
    const cookie = await session(alice);
    expect(await (await api(cookie, linkApi(deny))).json()).toMatchObject({ decision: "deny", reason_required: true });
    const noReason = await api(cookie, linkApi(deny), { method: "POST", json: {} });
    expect(noReason.status).toBe(422);
    expect(await (await api(cookie, linkApi(deny))).json()).toMatchObject({ state: "ready" });
    const denied = await api(cookie, linkApi(deny), { method: "POST", json: { reason: "Refunded already" } });
    expect(denied.status).toBe(200);
    expect(await statusOf(id)).toEqual({ status: "denied", decision_reason: "Refunded already" });

    const payout = await ask({ action: "payments.payout", summary: "Payout to vendor" });
    const { approve } = await linksFor(bob, payout);
    const bobCookie = await session(bob);
    expect(await (await api(bobCookie, linkApi(approve))).json()).toMatchObject({ decision: "approve", reason_required: true });
    expect((await api(bobCookie, linkApi(approve), { method: "POST", json: {} })).status).toBe(422);
    expect((await api(bobCookie, linkApi(approve), { method: "POST", json: { reason: "Invoice 42 checked" } })).status).toBe(200);
    expect(await statusOf(payout)).toEqual({ status: "approved", decision_reason: "Invoice 42 checked" });
  });

  it("an expired link says so and decides nothing", async () => {
    const id = await ask({ summary: "Refund $500, link expiry" });
    const { approve } = await linksFor(alice, id);
    // The link's time ran out (its request's did not).
    await pool().query("UPDATE decision_links SET expires_at = now() - interval '1 second' WHERE request_id = $1", [id]);
    const cookie = await session(alice);
    expect(await (await api(cookie, linkApi(approve))).json()).toMatchObject({ state: "expired", request: { status: "pending" } });
    const res = await api(cookie, linkApi(approve), { method: "POST", json: {} });
    expect(res.status).toBe(409);
    expect((await res.json()).detail).toContain("has expired");
    expect((await statusOf(id)).status).toBe("pending");
  });

  it("in a browser: the link signs you in, shows the request, and decides only when you confirm", async () => {
    const id = await ask({ summary: "Refund $500 from the browser", params: { amount: 500, currency: "USD", customer: "cus_123" } });
    const { deny } = await linksFor(alice, id);
    for (const viewport of [
      { width: 1280, height: 800, name: "desktop" },
      { width: 390, height: 844, name: "phone" },
    ]) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(deny);
      // Signed out: the sign-in page, which comes back to the link.
      await page.getByLabel("Email").fill(alice.email);
      await page.getByLabel("Password").fill(alice.password);
      await page.getByRole("button", { name: /sign in/i }).click();
      await page.waitForURL(`**/decide/${tokenOf(deny)}`);
      await expect.poll(() => page.getByTestId("request-summary").textContent()).toBe("Refund $500 from the browser");
      expect((await statusOf(id)).status).toBe("pending");
      const confirm = page.getByTestId("confirm-decision");
      expect(await confirm.isDisabled()).toBe(true);
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/decision-link-${viewport.name}.png`, fullPage: true });
      if (viewport.name === "phone") {
        await page.getByRole("textbox", { name: /reason/i }).fill("Duplicate of an earlier refund");
        await confirm.click();
        await expect.poll(() => page.getByTestId("decision-link-done").textContent()).toContain("denied");
        if (SHOTS) await page.screenshot({ path: `${SHOTS}/decision-link-done-${viewport.name}.png`, fullPage: true });
        expect(await statusOf(id)).toEqual({ status: "denied", decision_reason: "Duplicate of an earlier refund" });
        await page.reload();
        await expect.poll(() => page.getByTestId("decision-link-used").textContent()).toContain("already used");
        if (SHOTS) await page.screenshot({ path: `${SHOTS}/decision-link-used-${viewport.name}.png`, fullPage: true });
      }
      await context.close();
    }
  });
});
