import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSession } from "../../lib/auth/sessions.ts";
import { db } from "../../lib/db.ts";
import { closeHub, hub } from "../../lib/events/hub.ts";
import { openReviewStream } from "../../lib/events/review-stream.ts";
import { metrics } from "../../lib/metrics.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { addGroupMember } from "../../lib/users/groups.ts";
import { EventStreamReader } from "../support/event-stream.ts";
import { baseUrl, createPending, expectProblem, newAgent, newUser, reviewerFetch, signIn, unique, type TestUser } from "../support/fixtures.ts";
import { passwordSignOut } from "../support/password-sign-in.ts";

// Issue 11, findings 6 and 8: server-side sessions, streams that close when a
// session ends or changes, streams that show a reviewer only what they may
// see, and a cap on streams per user.

const streams: EventStreamReader[] = [];
let adminCookie: string;

beforeAll(async () => {
  adminCookie = await signIn(await newUser("admin"));
});

afterAll(async () => {
  for (const s of streams) s.close();
  await closeHub();
});

/** Opens the review stream as `cookie` and waits for `ready`. */
async function openStream(cookie: string): Promise<EventStreamReader> {
  const { response, reader } = await EventStreamReader.open(`${baseUrl()}/api/v1/review/stream`, cookie);
  if (!reader) throw new Error(`the stream answered ${response.status}: ${await response.text()}`);
  streams.push(reader);
  await reader.waitFor((e) => e.event === "ready");
  return reader;
}

const queue = (cookie: string) => reviewerFetch(cookie, "/api/v1/review/requests?status=pending&limit=1");
const patchUser = (user: TestUser, json: Record<string, unknown>) => reviewerFetch(adminCookie, `/api/v1/admin/users/${user.id}`, { method: "PATCH", json });

describe("sessions", () => {
  it("signing out ends exactly that session on the server: its old cookie answers 401, its stream ends, the user's other session works", async () => {
    const user = await newUser();
    const [first, second] = [await signIn(user), await signIn(user)];
    expect((await queue(first)).status).toBe(200);
    const stream = await openStream(first);
    const other = await openStream(second);

    expect(await passwordSignOut(baseUrl(), first)).toBe(302);

    // The cookie from before sign-out is still a validly signed JWT; the server no longer honours it.
    await expectProblem(await queue(first), 401, "unauthenticated");
    await stream.waitForEnd();
    expect((await queue(second)).status).toBe(200);
    // The other session's stream stays open: a request event still reaches it.
    const { id } = await createPending(await newAgent());
    await other.waitFor((e) => e.event === "request" && JSON.parse(e.data).id === id);

    const signedOut = await db().selectFrom("auditEvents").select("id").where("type", "=", "user.signed_out").where("actor", "=", `user:${user.id}`).execute();
    expect(signedOut).toHaveLength(1);
  });

  it("a session slides forward while used and ends on the server once idle past its lifetime", async () => {
    const user = await newUser();
    const cookie = await signIn(user);
    const soon = new Date(Date.now() + 60_000);
    await db().updateTable("userSessions").set({ expiresAt: soon }).where("userId", "=", user.id).execute();
    expect((await queue(cookie)).status).toBe(200);
    const [extended] = await db().selectFrom("userSessions").selectAll().where("userId", "=", user.id).execute();
    // COUNTERSIGN_SESSION_MAX_AGE is 8 hours by default.
    expect(extended.expiresAt.getTime()).toBeGreaterThan(Date.now() + 7 * 3600_000);

    await db()
      .updateTable("userSessions")
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where("userId", "=", user.id)
      .execute();
    await expectProblem(await queue(cookie), 401, "unauthenticated");
  });

  it("disabling a user ends their sessions and closes their open stream at once", async () => {
    const user = await newUser();
    const cookie = await signIn(user);
    const stream = await openStream(cookie);

    expect((await patchUser(user, { disabled: true })).status).toBe(200);
    await stream.waitForEnd();
    await expectProblem(await queue(cookie), 401, "unauthenticated");
    // Enabling the account again does not bring the old session back.
    expect((await patchUser(user, { disabled: false })).status).toBe(200);
    await expectProblem(await queue(cookie), 401, "unauthenticated");
    expect((await queue(await signIn(user))).status).toBe(200);
  });

  it("a role change applies to the live session at once and closes its stream, which reconnects under the new role", async () => {
    const user = await newUser("reviewer");
    const cookie = await signIn(user);
    await expectProblem(await reviewerFetch(cookie, "/api/v1/admin/users"), 403, "forbidden");
    const stream = await openStream(cookie);

    expect((await patchUser(user, { role: "admin" })).status).toBe(200);
    expect((await reviewerFetch(cookie, "/api/v1/admin/users")).status).toBe(200);
    await stream.waitForEnd();
    await openStream(cookie);
  });

  it("streams to a reviewer only the requests they may see: a finance-routed request reaches finance members, not others", async () => {
    const finance = unique("finance");
    const routed = await newAgent();
    await createRule({
      definition: {
        name: unique("rule"),
        agents: { names: [routed.name] },
        actions: ["payments.*"],
        effect: "require_approval",
        reviewers: { groups: [finance] },
      },
      position: 0,
      actor: "test",
    });
    const [outsider, member, auditor] = [await newUser("reviewer"), await newUser("reviewer"), await newUser("auditor")];
    await addGroupMember({ group: finance, email: member.email, actor: "test", createGroup: true });
    const outsiderStream = await openStream(await signIn(outsider));
    const memberStream = await openStream(await signIn(member));
    const auditorStream = await openStream(await signIn(auditor));

    const secret = await createPending(routed);
    // Open to any reviewer (the default rule), created after: once it has arrived, so would have the routed one.
    const marker = await createPending(await newAgent());
    const seen = async (s: EventStreamReader) => {
      await s.waitFor((e) => e.event === "request" && JSON.parse(e.data).id === marker.id);
      return s
        .requests()
        .map((r) => r.id)
        .filter((id) => id === secret.id || id === marker.id);
    };
    expect(await seen(outsiderStream)).toEqual([marker.id]);
    expect(await seen(memberStream)).toEqual([secret.id, marker.id]);
    expect(await seen(auditorStream)).toEqual([secret.id, marker.id]);
  });

  it("caps open streams per user: the 9th is 429 with Retry-After, and closing one frees a place", async () => {
    const user = await newUser();
    const cookie = await signIn(user);
    const open: EventStreamReader[] = [];
    for (let i = 0; i < 8; i++) open.push(await openStream(cookie));

    const { response } = await EventStreamReader.open(`${baseUrl()}/api/v1/review/stream`, cookie);
    const problem = await expectProblem(response, 429, "rate_limited");
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(problem.detail).toContain("8");
    // Another user is not affected.
    await openStream(await signIn(await newUser()));

    open[0].close();
    await expect
      .poll(
        async () => {
          const { response: again, reader } = await EventStreamReader.open(`${baseUrl()}/api/v1/review/stream`, cookie);
          if (reader) streams.push(reader);
          else await again.arrayBuffer();
          return again.status;
        },
        { timeout: 10_000 },
      )
      .toBe(200);
  });

  it("reads a request's groups once per instance, not once per open reviewer stream", async () => {
    // Streams served by this test process (same code as the app's), so its own metrics count their lookups.
    const seen = new Set<string>();
    const off = hub().onAny((e) => void (e.kind === "request" && seen.add(e.id)));
    const lookups = async () => (await metrics().streamGroupLookups.get()).values[0]?.value ?? 0;
    expect(await lookups()).toBe(0);
    const aborts: AbortController[] = [];
    const reviewers = await Promise.all(Array.from({ length: 20 }, () => newUser("reviewer")));
    const opened = await Promise.all(
      reviewers.map(async (u) => {
        const abort = new AbortController();
        aborts.push(abort);
        return openReviewStream({ userId: u.id, sessionId: await startSession(u.id) }, abort.signal);
      }),
    );

    const { id } = await createPending(await newAgent());
    await Promise.all(
      opened.map(async (stream) => {
        const reader = stream.getReader();
        let text = "";
        while (!text.includes(`"id":"${id}"`)) {
          const { value, done } = await reader.read();
          if (done) throw new Error("the stream ended before the request's event");
          text += new TextDecoder().decode(value);
        }
      }),
    );
    for (const a of aborts) a.abort();
    off();
    // One read per request seen (other suites create requests meanwhile), never one per stream.
    expect(seen.has(id)).toBe(true);
    expect(await lookups()).toBeGreaterThanOrEqual(1);
    expect(await lookups()).toBeLessThanOrEqual(seen.size);
  });
});
