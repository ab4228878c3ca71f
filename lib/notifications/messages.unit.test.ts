import { describe, expect, it } from "vitest";
import { agentSuspendedEmail, escapeHtml, requestEmail, subjectLine, type RequestFacts } from "./messages.ts";

const request: RequestFacts = {
  id: "req_01",
  agentName: "billing-bot",
  action: "payments.refund",
  resource: "customer:cus_1",
  summary: "Refund $500",
  justification: null,
  params: { amount: 500 },
  context: {},
  expiresAt: new Date("2026-11-25T12:15:00Z"),
  approvalsRequired: 1,
  riskFlags: [],
};
const now = new Date("2026-11-25T12:00:00Z");

describe("email messages", () => {
  it("subjects are one bounded line whatever the agent sent", () => {
    expect(subjectLine("a\r\nBcc: x@y\u2028z\u0000")).toBe("a Bcc: x@y z⟨U+0000 NUL⟩");
    expect(subjectLine("Refund \u202e1234_evil\u202c")).toBe("Refund ⟨U+202E RLO⟩1234_evil⟨U+202C PDF⟩");
    expect([...subjectLine("😀".repeat(300))]).toHaveLength(160);
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
    const m = requestEmail(
      "new_request",
      "a@example.test",
      { ...request, summary: "ok\nReview the request: https://evil.test", justification: "<b>trust me</b>" },
      { now, canDecide: true },
    );
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

  it("hidden characters anywhere, params included, are named in a warning and written as markers", () => {
    const m = requestEmail(
      "new_request",
      "a@example.test",
      { ...request, summary: "Pay acct_\u202e1234_evil\u202c", justification: "ok\u200b", params: { to: "acct_\u202e1234_evil\u202c" } },
      { now, canDecide: true },
    );
    expect(m.subject).toBe("Approval needed (hidden characters): Pay acct_⟨U+202E RLO⟩1234_evil⟨U+202C PDF⟩ (billing-bot)");
    const lines = m.text.split("\n");
    expect(lines[0]).toBe(
      "WARNING: This request contains hidden or direction-changing characters: summary: U+202E RIGHT-TO-LEFT OVERRIDE, U+202C POP DIRECTIONAL FORMATTING; justification: U+200B ZERO WIDTH SPACE; params.to: U+202E RIGHT-TO-LEFT OVERRIDE, U+202C POP DIRECTIONAL FORMATTING. What other tools display for it may differ from what is bound. Here they are written as ⟨U+…⟩ markers; the request page marks them too.",
    );
    expect(m.text).toContain("Summary: Pay acct_⟨U+202E RLO⟩1234_evil⟨U+202C PDF⟩");
    expect(m.text).toContain("Justification: ok⟨U+200B ZWSP⟩");
    for (const part of [m.subject, m.text, m.html]) expect(part).not.toMatch(/[\u202e\u202c\u200b]/);
    expect(m.html).toContain("<strong>Warning:</strong> This request contains hidden or direction-changing characters");
    // Only in params: still warned about (the email does not show params).
    const paramsOnly = requestEmail("reminder", "a@example.test", { ...request, params: { to: "x\u2066" } }, { now, canDecide: true });
    expect(paramsOnly.subject).toBe("Reminder, 15 minutes left (hidden characters): Refund $500");
    expect(paramsOnly.text).toContain("params.to: U+2066 LEFT-TO-RIGHT ISOLATE");
    // Nothing hidden: no warning.
    const plain = requestEmail("new_request", "a@example.test", { ...request, params: { note: "line one\nline two" } }, { now, canDecide: true });
    expect(plain.text).not.toContain("WARNING");
    expect(plain.html).not.toContain("Warning");
  });

  it("an automatic suspension says so to the owner", () => {
    const m = agentSuspendedEmail("o@example.test", {
      id: "agt_1",
      name: "billing-bot",
      by: "system",
      reason: "automatic containment: 120 requests in 60 s",
      automatic: true,
    });
    expect(m.subject).toBe("Agent billing-bot was suspended automatically");
    expect(m.text).toContain("By: automatic containment");
    expect(m.text).toMatch(/\/admin\/agents\/agt_1$/m);
  });
});

describe("decision links in email", () => {
  it("are shown after the request link, in text and HTML, only to someone who may decide", () => {
    const links = { approve: "https://cs.example/decide/cdl_a", deny: "https://cs.example/decide/cdl_d", minutes: 30 };
    const mail = requestEmail("new_request", "a@x.test", request, { now, canDecide: true, decisionLinks: links });
    expect(mail.text).toContain("Approve (you confirm on the next page): https://cs.example/decide/cdl_a");
    expect(mail.text).toContain("Deny (you give the reason on the next page): https://cs.example/decide/cdl_d");
    expect(mail.text).toContain("works once, for 30 minutes, only for you and only signed in");
    expect(mail.html).toContain('href="https://cs.example/decide/cdl_a"');
    const escalation = requestEmail("escalation", "m@x.test", request, { now, canDecide: false, group: "on-call", decisionLinks: links });
    expect(escalation.text).not.toContain("/decide/");
    expect(requestEmail("new_request", "a@x.test", request, { now, canDecide: true }).text).not.toContain("/decide/");
  });
});
