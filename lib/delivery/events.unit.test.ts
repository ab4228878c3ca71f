import { describe, expect, it } from "vitest";
import { buildPayload, type AuditEventRow } from "./events.ts";

const row = (over: Partial<AuditEventRow> = {}): AuditEventRow => ({
  seq: "7",
  type: "request.created",
  actor: "agent:agt_1",
  requestId: "req_1",
  agentId: "agt_1",
  data: { policy: { effect: "require_approval" } },
  occurredAt: new Date("2026-11-25T12:00:00Z"),
  action: "payments.refund",
  resource: "customer:cus_1",
  summary: "Refund $500",
  justification: null,
  params: { amount: 500 },
  context: {},
  requestStatus: "pending",
  callbackUrl: null,
  agentName: "billing-bot",
  ...over,
});

describe("webhook text", () => {
  it("is one plain line when nothing is hidden", () => {
    const p = buildPayload("request.created", row({ params: { note: "line one\nline two" } }));
    expect(p.text).toMatch(/^billing-bot asks for approval: "Refund \$500" \(billing-bot, payments\.refund\)\. Review: http.*\/requests\/req_1$/);
  });

  it("starts with a warning naming hidden characters, params included, and writes them as markers", () => {
    const p = buildPayload("request.created", row({ summary: "Pay acct_\u202e1234_evil\u202c\nnow", params: { to: "acct_\u202e1234_evil\u202c" } }));
    expect(p.text).toMatch(
      /^⚠ This request contains hidden or direction-changing characters: summary: U\+202E RIGHT-TO-LEFT OVERRIDE, U\+202C POP DIRECTIONAL FORMATTING; params\.to: U\+202E RIGHT-TO-LEFT OVERRIDE, U\+202C POP DIRECTIONAL FORMATTING\. .* billing-bot asks for approval: "Pay acct_⟨U\+202E RLO⟩1234_evil⟨U\+202C PDF⟩ now" /,
    );
    expect(p.text).not.toMatch(/[\u202e\u202c\n]/);
    // The structured data stays exact; params are never sent.
    expect((p.data.request as { summary: string }).summary).toBe("Pay acct_\u202e1234_evil\u202c\nnow");
    expect(JSON.stringify(p.data)).not.toContain('"params"');
  });

  it("warns on every request event, and about an agent-reported outcome", () => {
    const params = { to: "x\u200b" };
    expect(buildPayload("request.expiring", row({ type: "request.expiring", data: { remaining_seconds: 300 }, params })).text).toMatch(
      /^⚠ .*params\.to: U\+200B ZERO WIDTH SPACE.* Still undecided, expires in 5 min/,
    );
    const outcome = buildPayload(
      "request.outcome_reported",
      row({ type: "request.outcome_reported", data: { status: "succeeded", detail: "sent to \u2067acct\u2069" }, requestStatus: "approved" }),
    );
    expect(outcome.text).toMatch(/^⚠ .*outcome\.detail: U\+2067 RIGHT-TO-LEFT ISOLATE, U\+2069 POP DIRECTIONAL ISOLATE/);
  });
});

describe("agent events", () => {
  it("name the selector of a bulk suspension (and nothing of the kind for a single one)", () => {
    const bulk = buildPayload(
      "agent.suspended",
      row({
        type: "agent.suspended",
        requestId: null,
        data: { name: "billing-bot", reason: "fraud", after: { status: "suspended" }, bulk: { tag: "finance" } },
      }),
    );
    expect(bulk.data.agent).toMatchObject({ name: "billing-bot", status: "suspended", reason: "fraud", bulk: { tag: "finance" } });
    expect(bulk.text).toBe("Agent billing-bot suspended: fraud");
    const single = buildPayload(
      "agent.suspended",
      row({ type: "agent.suspended", requestId: null, data: { name: "billing-bot", after: { status: "suspended" } } }),
    );
    expect(single.data.agent).not.toHaveProperty("bulk");
  });
});
