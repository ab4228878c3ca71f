import { describe, expect, it } from "vitest";
import { decisionBarrier, type Reviewer } from "./decide-request.ts";

const bob: Reviewer = { id: "usr_bob", email: "bob@example.com", role: "reviewer" };
const request = (context: Record<string, unknown> = {}, ownerEmail: string | null = null) => ({ context, agent: { ownerEmail } });

describe("decisionBarrier (separation of duties)", () => {
  it("lets a reviewer or an admin decide someone else's request", () => {
    expect(decisionBarrier(request({ on_behalf_of: "alice@example.com" }, "carol@example.com"), bob)).toBeNull();
    expect(decisionBarrier(request(), { ...bob, role: "admin" })).toBeNull();
  });

  it("never lets an auditor decide", () => {
    expect(decisionBarrier(request(), { ...bob, role: "auditor" })).toMatch(/auditor/);
  });

  it("refuses a request on the reviewer's own behalf, whatever the case and spacing", () => {
    expect(decisionBarrier(request({ on_behalf_of: "bob@example.com" }), bob)).toMatch(/own behalf/);
    expect(decisionBarrier(request({ on_behalf_of: "  BOB@Example.COM " }), bob)).toMatch(/own behalf/);
    expect(decisionBarrier(request({ on_behalf_of: "bob@example.com" }), { ...bob, email: "Bob@Example.com", role: "admin" })).toMatch(/own behalf/);
  });

  it("refuses a request from an agent the reviewer owns, whatever the case", () => {
    expect(decisionBarrier(request({}, "bob@example.com"), bob)).toMatch(/agent you own/);
    expect(decisionBarrier(request({}, "BOB@EXAMPLE.COM"), bob)).toMatch(/agent you own/);
  });

  it("is not fooled by a non-string on_behalf_of or a near-miss email", () => {
    expect(decisionBarrier(request({ on_behalf_of: ["bob@example.com"] }), bob)).toBeNull();
    expect(decisionBarrier(request({ on_behalf_of: "bob@example.co" }), bob)).toBeNull();
    expect(decisionBarrier(request({}, "rob@example.com"), bob)).toBeNull();
  });

  it("lets the owner decide only when the rule says owners may", () => {
    expect(decisionBarrier({ ...request({}, "bob@example.com"), ownerMayDecide: true }, bob)).toBeNull();
    expect(decisionBarrier({ ...request({}, "bob@example.com"), ownerMayDecide: false }, bob)).toMatch(/agent you own/);
  });

  it("limits deciding to the rule's reviewer groups, for admins too, and fails closed when groups are unknown", () => {
    const finance = { ...request(), reviewerGroups: ["finance", "risk"] };
    expect(decisionBarrier(finance, { ...bob, groups: ["risk"] })).toBeNull();
    expect(decisionBarrier(finance, { ...bob, groups: ["support"] })).toMatch(/only members of finance, risk/);
    expect(decisionBarrier(finance, { ...bob, role: "admin", groups: [] })).toMatch(/only members/);
    expect(decisionBarrier(finance, bob)).toMatch(/only members/);
    expect(decisionBarrier({ ...request(), reviewerGroups: [] }, bob)).toBeNull();
  });
});
