import { beforeAll, describe, expect, it } from "vitest";
import { resetEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { holdWaitSlot } from "./wait-slots.ts";

beforeAll(() => {
  process.env.COUNTERSIGN_MAX_WAITS_PER_AGENT = "3";
  process.env.COUNTERSIGN_MAX_WAITS_PER_REQUEST = "2";
  process.env.COUNTERSIGN_MAX_WAITS = "5";
  resetEnv();
});

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? { code: err.code, message: err.message, retryAfter: err.retryAfterSeconds } : err;
  }
  return null;
};

describe("holdWaitSlot", () => {
  it("caps waits per request and per agent with 429, and frees slots on release (once)", () => {
    const a1 = holdWaitSlot("agt_a", "req_1");
    const a2 = holdWaitSlot("agt_a", "req_1");
    expect(refusal(() => holdWaitSlot("agt_a", "req_1"))).toMatchObject({
      code: "rate_limited",
      message: expect.stringMatching(/this request/),
      retryAfter: 5,
    });
    // Another agent on the same request is refused too: the request's cap is shared.
    expect(refusal(() => holdWaitSlot("agt_b", "req_1"))).toMatchObject({ code: "rate_limited" });
    const a3 = holdWaitSlot("agt_a", "req_2");
    expect(refusal(() => holdWaitSlot("agt_a", "req_3"))).toMatchObject({ code: "rate_limited", message: expect.stringMatching(/this agent/) });
    // A refusal took nothing: agent b still has all its slots.
    const b = holdWaitSlot("agt_b", "req_3");

    a1();
    a1();
    const again = holdWaitSlot("agt_a", "req_3");
    expect(refusal(() => holdWaitSlot("agt_a", "req_4"))).toMatchObject({ code: "rate_limited" });
    for (const release of [a2, a3, b, again]) release();
    const fresh = [holdWaitSlot("agt_a", "req_5"), holdWaitSlot("agt_a", "req_5"), holdWaitSlot("agt_a", "req_6")];
    for (const release of fresh) release();
  });

  it("caps the waits the whole process holds with 503, whatever the agents", () => {
    const held = ["agt_p", "agt_q", "agt_r", "agt_s", "agt_v"].map((agent, i) => holdWaitSlot(agent, `req_p${i}`));
    expect(refusal(() => holdWaitSlot("agt_t", "req_p9"))).toMatchObject({ code: "unavailable", retryAfter: 5 });
    held[0]();
    held[0]();
    const next = holdWaitSlot("agt_t", "req_p9");
    expect(refusal(() => holdWaitSlot("agt_u", "req_p10"))).toMatchObject({ code: "unavailable" });
    for (const release of [...held.slice(1), next]) release();
  });
});
