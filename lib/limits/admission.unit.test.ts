import { beforeAll, describe, expect, it } from "vitest";
import { resetEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { admitCall, agentsAtCallLimit, callsInFlight } from "./admission.ts";

beforeAll(() => {
  process.env.COUNTERSIGN_MAX_INFLIGHT = "3";
  process.env.COUNTERSIGN_MAX_INFLIGHT_PER_AGENT = "2";
  process.env.COUNTERSIGN_MAX_EVENT_LOOP_DELAY_MS = "40";
  resetEnv();
});

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? { code: err.code, retryAfter: err.retryAfterSeconds } : err;
  }
  return null;
};

describe("admitCall", () => {
  it("admits up to the process limit, then refuses with 503 and Retry-After until a place is given back", () => {
    const calls = [admitCall(), admitCall(), admitCall()];
    expect(callsInFlight()).toBe(3);
    expect(refusal(() => admitCall())).toEqual({ code: "unavailable", retryAfter: expect.toSatisfy((s: number) => Number.isInteger(s) && s >= 1 && s <= 5) });
    calls[0].release();
    calls[0].release(); // idempotent: gives back one place, not two
    expect(callsInFlight()).toBe(2);
    const next = admitCall();
    expect(refusal(() => admitCall())).toMatchObject({ code: "unavailable" });
    for (const c of [...calls.slice(1), next]) c.release();
    expect(callsInFlight()).toBe(0);
  });

  it("counts each agent's calls apart and refuses the one over its limit with 429", () => {
    const a1 = admitCall();
    a1.forAgent("agt_a");
    expect(agentsAtCallLimit()).toBe(0);
    const a2 = admitCall();
    a2.forAgent("agt_a");
    expect(agentsAtCallLimit()).toBe(1);
    const a3 = admitCall();
    expect(refusal(() => a3.forAgent("agt_a"))).toEqual({ code: "rate_limited", retryAfter: 1 });
    a3.release();
    // Another agent is not affected, and a released place of agent a is free again.
    const b = admitCall();
    expect(refusal(() => b.forAgent("agt_b"))).toBeNull();
    a1.release();
    expect(agentsAtCallLimit()).toBe(0);
    b.release();
    const a4 = admitCall();
    expect(refusal(() => a4.forAgent("agt_a"))).toBeNull();
    a2.release();
    a4.release();
    expect(callsInFlight()).toBe(0);
  });

  it("sheds calls with 503 while the event loop runs late, and admits them again once it keeps up", async () => {
    admitCall().release(); // starts sampling
    const tick = () => new Promise((r) => setTimeout(r, 15));
    for (let i = 0; i < 5; i++) {
      const until = performance.now() + 150;
      while (performance.now() < until) {
        // the event loop is blocked, as by a flood of work
      }
      await tick();
    }
    expect(refusal(() => admitCall())).toEqual({ code: "unavailable", retryAfter: expect.toSatisfy((s: number) => Number.isInteger(s) && s >= 1 && s <= 5) });
    let admitted = false;
    for (let i = 0; i < 200 && !admitted; i++) {
      await tick();
      admitted = refusal(() => admitCall().release()) === null;
    }
    expect(admitted).toBe(true);
    expect(callsInFlight()).toBe(0);
  });
});
