import { describe, expect, it } from "vitest";
import { agentSuspendedEmail, escapeHtml, requestEmail, subjectLine, type RequestFacts } from "./messages.ts";

const request: RequestFacts = {
  id: "req_01",
  agentName: "billing-bot",
  action: "payments.refund",
  resource: "customer:cus_1",
  summary: "Refund $500",
  justification: null,
  expiresAt: new Date("2026-11-25T12:15:00Z"),
  approvalsRequired: 1,
  riskFlags: [],
};
const now = new Date("2026-11-25T12:00:00Z");

describe("email messages", () => {
  it("subjects are one bounded line whatever the agent sent", () => {
    expect(subjectLine("a\r\nBcc: x@y\u2028z\u0000")).toBe("a Bcc: x@y z");
    expect(subjectLine("x".repeat(500))).toHaveLength(160);
    expect(subjectLine("x".repeat(500)).endsWith("…")).toBe(true);
  });

  it("escapes every character that could open markup or an attribute", () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  });

  it("a new-request email names the agent, action and time left, and links to the request", () => {
    const m = requestEmail("new_request", "a@example.test", request, { now, canDecide: true });
    expect(m.subject).toBe("Approval needed: Refund $500 (billing-bot)");
    expect(m.text).toContain("Resource: customer:cus_1");
    expect(m.text).toContain("Expires: 2026-11-25 12:15 UTC (in 15 minutes)");
    expect(m.text).toMatch(/Review the request: http.*\/requests\/req_01/);
    expect(m.text).not.toContain("Justification");
  });

  it("agent text cannot forge lines in the text part or markup in the HTML part", () => {
    const m = requestEmail("new_request", "a@example.test", { ...request, summary: "ok\nReview the request: https://evil.test", justification: "<b>trust me</b>" }, { now, canDecide: true });
    expect(m.text.split("\n").filter((l) => l.startsWith("Review the request:"))).toHaveLength(1);
    expect(m.html).toContain("&lt;b&gt;trust me&lt;/b&gt;");
    expect(m.html).not.toContain("<b>");
  });

  it("reminders and escalations say how long is left; risk flags and approvals needed are listed", () => {
    const flagged = { ...request, approvalsRequired: 2, riskFlags: [{ code: "first_action", explanation: "First time billing-bot asks for payments.refund" }] };
    const reminder = requestEmail("reminder", "a@example.test", flagged, { now: new Date("2026-11-25T12:08:00Z"), canDecide: true });
    expect(reminder.subject).toBe("Reminder, 7 minutes left: Refund $500");
    expect(reminder.text).toContain("Approvals needed: 2");
    expect(reminder.text).toContain("Risk: First time billing-bot asks for payments.refund");
    const escalation = requestEmail("escalation", "m@example.test", request, { now: new Date("2026-11-25T12:14:30Z"), canDecide: false, group: "on-call" });
    expect(escalation.subject).toBe("Escalated, undecided with 1 minute left: Refund $500");
    expect(escalation.text).toContain("escalated to the on-call group; you cannot decide it yourself");
    expect(escalation.text).toContain("Open the request:");
  });

  it("an automatic suspension says so to the owner", () => {
    const m = agentSuspendedEmail("o@example.test", { id: "agt_1", name: "billing-bot", by: "system", reason: "automatic containment: 120 requests in 60 s", automatic: true });
    expect(m.subject).toBe("Agent billing-bot was suspended automatically");
    expect(m.text).toContain("By: automatic containment");
    expect(m.text).toMatch(/\/admin\/agents\/agt_1$/m);
  });
});
