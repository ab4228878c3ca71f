import { beforeAll, describe, expect, it } from "vitest";
import { resetEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { holdWaitSlot, openFileLimit, processWaitCap, waitCapFor } from "./wait-slots.ts";

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
    expect(refusal(() => holdWaitSlot("agt_t", "req_p9"))).toMatchObject({
      code: "unavailable",
      retryAfter: expect.toSatisfy((s: number) => s >= 5 && s <= 10),
    });
    held[0]();
    held[0]();
    const next = holdWaitSlot("agt_t", "req_p9");
    expect(refusal(() => holdWaitSlot("agt_u", "req_p10"))).toMatchObject({ code: "unavailable" });
    for (const release of [...held.slice(1), next]) release();
  });
});

describe("the open-file limit", () => {
  it("is read from the process's limits, and unknown where they cannot be read", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "limits-"));
    const file = path.join(dir, "limits");
    writeFileSync(
      file,
      [
        "Limit                     Soft Limit           Hard Limit           Units     ",
        "Max processes             95047                95047                processes ",
        "Max open files            4096                 524288               files     ",
      ].join("\n"),
    );
    expect(openFileLimit(file)).toBe(4096);
    writeFileSync(file, "Max open files            unlimited            unlimited            files\n");
    expect(openFileLimit(file)).toBeNull();
    expect(openFileLimit(path.join(dir, "absent"))).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lowers the cap on long-waits to what the open-file limit holds, never raises it", () => {
    expect(waitCapFor(20_000, 20_000)).toBe(18_976);
    expect(waitCapFor(20_000, 1_024)).toBe(512);
    expect(waitCapFor(10_000, 1_048_576)).toBe(10_000);
    expect(waitCapFor(20_000, null)).toBe(20_000);
    expect(processWaitCap().configured).toBe(5);
    expect(processWaitCap().effective).toBeLessThanOrEqual(5);
  });
});
