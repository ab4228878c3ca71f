import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { personServed, yieldToPeople } from "./people-first.ts";

/** Whether `p` has settled, after every pending callback and microtask ran. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe("people first", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("lets agents' work go at once while no person is being served, or when turned off", () => {
    expect(yieldToPeople(20)).toBeUndefined();
    const done = personServed();
    expect(yieldToPeople(0)).toBeUndefined();
    done();
    expect(yieldToPeople(20)).toBeUndefined();
  });

  it("holds agents' work until every person's call is done", async () => {
    const first = personServed();
    const second = personServed();
    const held = [yieldToPeople(1_000), yieldToPeople(1_000)] as Promise<void>[];
    first();
    first(); // twice: still one person's call served
    expect(await settled(held[0])).toBe(false);
    second();
    expect(await settled(held[0])).toBe(true);
    expect(await settled(held[1])).toBe(true);
    expect(yieldToPeople(1_000)).toBeUndefined();
  });

  it("holds each for at most maxMs, so agents slow down but never stop", async () => {
    const done = personServed();
    const held = yieldToPeople(20) as Promise<void>;
    await vi.advanceTimersByTimeAsync(19);
    expect(await settled(held)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(held)).toBe(true);
    done();
    expect(vi.getTimerCount()).toBe(0);
  });
});
