import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { addGroupMember } from "../../lib/users/groups.ts";
import { createPending, decide, expectProblem, newAgent, newUser, signIn, unique, type TestAgent } from "../support/fixtures.ts";

// Decisions race each other over real HTTP against the real app and
// PostgreSQL: whatever the interleaving, a request with enough distinct
// approvals makes exactly one terminal transition, every accepted vote is
// recorded, and every refused one is a 409 (never a 500, never a lost vote).

const ROUNDS = 12;
const TERMINAL = ["request.approved", "request.denied", "request.expired", "request.cancelled"];

afterAll(async () => {
  await closeHub();
});

interface Panel {
  agent: TestAgent;
  cookies: string[];
}

/** An agent whose requests need `m` approvals from a fresh group of `size` signed-in members. */
async function panel(m: number, size: number): Promise<Panel> {
  const agent = await newAgent();
  const group = unique("finance");
  await createRule({
    definition: {
      name: unique("race"),
      agents: { names: [agent.name] },
      actions: ["payments.*"],
      effect: "require_approval",
      approvals_required: m,
      reviewers: { groups: [group] },
    },
    position: 0,
    actor: "test",
  });
  const users = await Promise.all(Array.from({ length: size }, () => newUser("reviewer")));
  for (const u of users) await addGroupMember({ group, email: u.email, actor: "test", createGroup: true });
  return { agent, cookies: await Promise.all(users.map(signIn)) };
}

async function outcome(id: string) {
  const request = await db().selectFrom("actionRequests").select("status").where("id", "=", id).executeTakeFirstOrThrow();
  const votes = await db().selectFrom("votes").selectAll().where("requestId", "=", id).execute();
  const grant = await db().selectFrom("grants").select("id").where("requestId", "=", id).executeTakeFirst();
  const events = await db().selectFrom("auditEvents").select("type").where("requestId", "=", id).execute();
  const count = (type: string) => events.filter((e) => e.type === type).length;
  return {
    status: request.status,
    votes,
    grants: grant ? 1 : 0,
    terminalEvents: events.filter((e) => TERMINAL.includes(e.type)).map((e) => e.type),
    voteEvents: count("request.vote_recorded"),
    grantEvents: count("grant.issued"),
  };
}

async function statuses(responses: Response[]): Promise<number[]> {
  for (const res of responses) if (res.status !== 200) await expectProblem(res, 409, "conflict");
  return responses.map((r) => r.status);
}

describe.each([1, 2, 3])("%i-of-N approvals sent at once by more distinct reviewers than needed", (m) => {
  let p: Panel;
  beforeAll(async () => {
    p = await panel(m, m + 2);
  });

  it(`ends approved exactly once, with exactly ${m} votes, one grant and 409 for the rest (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { id } = await createPending(p.agent);
      const codes = await statuses(await Promise.all(p.cookies.map((c, i) => decide(c, id, "approve", `round ${round} reviewer ${i}`))));
      const o = await outcome(id);
      expect({ round, ok: codes.filter((c) => c === 200).length, refused: codes.filter((c) => c === 409).length }).toEqual({ round, ok: m, refused: 2 });
      expect({
        round,
        status: o.status,
        votes: o.votes.length,
        voteEvents: o.voteEvents,
        grants: o.grants,
        grantEvents: o.grantEvents,
        terminal: o.terminalEvents,
      }).toEqual({
        round,
        status: "approved",
        votes: m,
        voteEvents: m,
        grants: 1,
        grantEvents: 1,
        terminal: ["request.approved"],
      });
    }
  });
});

describe("a deny racing approvals", () => {
  it("ends in exactly one terminal transition, and every 200 is a recorded vote", async () => {
    const m = 2;
    const p = await panel(m, 4);
    for (let round = 0; round < ROUNDS; round++) {
      const { id } = await createPending(p.agent);
      // The denier's place in the burst moves round by round.
      const denier = round % p.cookies.length;
      const codes = await statuses(
        await Promise.all(p.cookies.map((c, i) => (i === denier ? decide(c, id, "deny", "not this one") : decide(c, id, "approve", "fine")))),
      );
      const o = await outcome(id);
      expect(o.terminalEvents, `round ${round}`).toHaveLength(1);
      expect(o.terminalEvents[0]).toBe(`request.${o.status}`);
      expect(codes.filter((c) => c === 200).length, `round ${round}`).toBe(o.votes.length);
      expect(o.voteEvents).toBe(o.votes.length);
      const approvals = o.votes.filter((v) => v.decision === "approve").length;
      if (o.status === "approved") {
        expect({ approvals, denials: o.votes.length - approvals, grants: o.grants, denier: codes[denier] }).toEqual({
          approvals: m,
          denials: 0,
          grants: 1,
          denier: 409,
        });
      } else {
        expect(o.status).toBe("denied");
        expect({ approvalsBelowM: approvals < m, denials: o.votes.length - approvals, grants: o.grants, denier: codes[denier] }).toEqual({
          approvalsBelowM: true,
          denials: 1,
          grants: 0,
          denier: 200,
        });
      }
    }
  });
});

describe("one reviewer sending the same approval five times at once", () => {
  it.each([1, 2])("gets one 200 and four 409s, with one vote recorded (M = %i)", async (m) => {
    const p = await panel(m, 1);
    for (let round = 0; round < ROUNDS; round++) {
      const { id } = await createPending(p.agent);
      const codes = await statuses(await Promise.all(Array.from({ length: 5 }, () => decide(p.cookies[0], id, "approve", "once"))));
      const o = await outcome(id);
      expect({ round, ok: codes.filter((c) => c === 200).length, refused: codes.filter((c) => c === 409).length }).toEqual({ round, ok: 1, refused: 4 });
      expect({ round, votes: o.votes.length, status: o.status, grants: o.grants }).toEqual({
        round,
        votes: 1,
        status: m === 1 ? "approved" : "pending",
        grants: m === 1 ? 1 : 0,
      });
    }
  });
});
