import { describe, expect, it } from "vitest";
import { KeptSnapshots } from "./kept-snapshots.ts";

const snap = (n: number, tag = "") => ({ totals: new Map(Array.from({ length: n }, (_, i) => [`t${i}`, i])), tag });

describe("kept history snapshots", () => {
  it("keeps one snapshot per agent and key, replacing it, and counts the totals held", () => {
    const kept = new KeptSnapshots<ReturnType<typeof snap>>({ totals: 100, perAgent: 4 });
    kept.set("a", "k1", snap(3, "first"));
    kept.set("a", "k1", snap(5, "second"));
    kept.set("b", "k1", snap(2));
    expect(kept.get("a", "k1")?.tag).toBe("second");
    expect(kept.get("a", "k2")).toBeUndefined();
    expect(kept.size).toBe(7);
    kept.forget("a");
    expect(kept.get("a", "k1")).toBeUndefined();
    expect(kept.size).toBe(2);
    kept.forget("nobody");
    expect(kept.size).toBe(2);
  });

  it("drops an agent's least recently kept snapshot past its limit", () => {
    const kept = new KeptSnapshots<ReturnType<typeof snap>>({ totals: 100, perAgent: 2 });
    kept.set("a", "k1", snap(1));
    kept.set("a", "k2", snap(1));
    kept.set("a", "k1", snap(1)); // k1 kept again: k2 is now the oldest
    kept.set("a", "k3", snap(1));
    expect([kept.get("a", "k1"), kept.get("a", "k2"), kept.get("a", "k3")].map(Boolean)).toEqual([true, false, true]);
    expect(kept.size).toBe(2);
  });

  it("drops the agents kept least recently until the totals fit, never the one just kept", () => {
    const kept = new KeptSnapshots<ReturnType<typeof snap>>({ totals: 10, perAgent: 8 });
    kept.set("a", "k", snap(4));
    kept.set("b", "k", snap(4));
    kept.set("a", "k2", snap(1)); // a is now the most recent: 9 totals
    kept.set("c", "k", snap(4)); // 13: b goes (the least recent), 9
    expect(["a", "b", "c"].map((id) => Boolean(kept.get(id, "k")))).toEqual([true, false, true]);
    expect(kept.size).toBe(9);
    kept.set("d", "k", snap(50)); // over on its own: every other agent goes, it stays
    expect(["a", "c", "d"].map((id) => Boolean(kept.get(id, "k")))).toEqual([false, false, true]);
    expect(kept.size).toBe(50);
  });
});
