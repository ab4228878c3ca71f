import { describe, expect, it } from "vitest";
import { paramsText, reasonModal, requestMessage, type SlackRequestView } from "./messages.ts";

const view: SlackRequestView = {
  id: "req_01",
  agentName: "billing-bot",
  action: "payments.refund",
  resource: null,
  summary: "Refund $5 to cus_007",
  params: { z: 1, amount: 5000, note: "hi" },
  riskScore: 40,
  riskFlags: ["amount far above usual"],
  expiresAt: new Date("2026-12-03T10:00:00Z"),
  approvalsRequired: 2,
  status: "pending",
  votes: [],
  chatApproval: true,
};
const json = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks);

describe("Slack messages", () => {
  it("params are canonical-ordered JSON with hidden characters as markers, cut past Slack's block size", () => {
    expect(paramsText({ b: 1, a: { d: 2, c: 3 } })).toBe('{\n  "a": {\n    "c": 3,\n    "d": 2\n  },\n  "b": 1\n}');
    expect(paramsText({ to: "acct_\u202e1234" })).toContain("acct_⟨U+202E RLO⟩1234");
    const long = paramsText({ blob: "x".repeat(5000) });
    expect(long.length).toBeLessThan(2700);
    expect(long).toContain("cut here");
  });

  it("a pending request has Approve and Deny; a rule with chat_approval: false only links to the dashboard", () => {
    expect(json(requestMessage(view))).toContain('"action_id":"approve"');
    const noChat = json(requestMessage({ ...view, chatApproval: false }));
    expect(noChat).not.toContain('"action_id":"approve"');
    expect(noChat).not.toContain('"action_id":"deny"');
    expect(noChat).toContain("/requests/req_01");
  });

  it("shows the votes so far and, once decided, who decided instead of buttons", () => {
    const one = json(requestMessage({ ...view, votes: [{ email: "a@x.test", decision: "approve", reason: null }] }));
    expect(one).toContain("1 of 2 approvals: a@x.test");
    expect(one).toContain('"action_id":"approve"');
    const denied = requestMessage({ ...view, status: "denied", votes: [{ email: "b@x.test", decision: "deny", reason: "dup\nline" }] });
    expect(json(denied)).toContain('Denied by b@x.test (\\"dup line\\")');
    expect(json(denied)).not.toContain('"action_id":"approve"');
    expect(denied.text).toBe("Request denied: Refund $5 to cus_007");
    expect(json(requestMessage({ ...view, status: "expired" }))).toContain("Expired undecided");
  });

  it("the reason dialog carries the request and decision in its metadata", () => {
    const modal = reasonModal({ requestId: "req_01", decision: "deny", summary: "x", channel: "C1", responseUrl: null });
    expect(JSON.parse(modal.private_metadata)).toEqual({ request_id: "req_01", decision: "deny", channel: "C1", response_url: null });
    expect(modal.submit.text).toBe("Deny");
  });
});
