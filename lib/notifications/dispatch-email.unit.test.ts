import { describe, expect, it } from "vitest";
import type { AuditEventRow } from "../delivery/events.ts";
import { emailsFor } from "./dispatch-email.ts";
import type { Candidate, RequestForEmail } from "./recipients.ts";

const now = new Date("2026-12-03T12:00:00Z");
const request: RequestForEmail = {
  id: "req_01",
  agentName: "billing-bot",
  action: "payments.refund",
  resource: null,
  summary: "Refund $500",
  justification: null,
  params: { amount: 500 },
  context: {},
  expiresAt: new Date("2026-12-03T12:05:00Z"),
  approvalsRequired: 1,
  riskFlags: [],
  status: "pending",
  reviewerGroups: [],
  ownerMayDecide: false,
  ownerEmail: null,
  voters: [],
};
const person = (id: string, o: Partial<Candidate> = {}): Candidate => ({
  id,
  email: `${id}@x.test`,
  role: "reviewer",
  groups: [],
  emailNewRequests: true,
  emailReminders: true,
  emailEscalations: true,
  emailAgentAlerts: true,
  ...o,
});
const event = (type: string, data: Record<string, unknown> = {}): AuditEventRow => ({
  seq: "1",
  type,
  actor: "system",
  requestId: request.id,
  agentId: "agt_1",
  data,
  occurredAt: now,
  action: request.action,
  resource: null,
  summary: request.summary,
  justification: null,
  params: request.params,
  context: {},
  requestStatus: "pending",
  callbackUrl: null,
  agentName: "billing-bot",
});

describe("which emails carry decision links", () => {
  const links = (_r: RequestForEmail, c: Candidate) => ({
    approve: `https://cs.example/decide/a-${c.id}`,
    deny: `https://cs.example/decide/d-${c.id}`,
    minutes: 5,
  });
  const ctx = (candidates: Candidate[]) => ({ candidates, requests: new Map([[request.id, request]]), owners: new Map(), now, decisionLinks: links });

  it("a reminder carries fresh links for each reviewer who may still decide", () => {
    const mails = emailsFor(event("request.expiring", { remaining_seconds: 300 }), ctx([person("ann"), person("bo")]) as never);
    expect(mails.map((m) => m.to)).toEqual(["ann@x.test", "bo@x.test"]);
    expect(mails[0].text).toContain("https://cs.example/decide/a-ann");
    expect(mails[1].text).toContain("https://cs.example/decide/d-bo");
  });

  it("an escalation carries links only to members who may decide; an auditor gets the email without them", () => {
    const mails = emailsFor(
      event("request.escalated", { group: "on-call" }),
      ctx([person("cy", { groups: ["on-call"] }), person("au", { groups: ["on-call"], role: "auditor" })]) as never,
    );
    expect(mails.map((m) => m.to)).toEqual(["cy@x.test", "au@x.test"]);
    expect(mails[0].text).toContain("/decide/a-cy");
    expect(mails[1].text).not.toContain("/decide/");
  });
});
