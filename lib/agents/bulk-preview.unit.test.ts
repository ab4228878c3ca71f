import { describe, expect, it } from "vitest";
import { bulkPreview, bulkTags } from "./bulk-preview.ts";

const agent = (status: "active" | "suspended" | "retired", tags: string[], pending = 0) => ({ status, tags, requests: { pending, total: pending + 3 } });

const AGENTS = [
  agent("active", ["finance"], 2),
  agent("active", ["finance", "eu"], 5),
  agent("suspended", ["finance"], 0),
  agent("retired", ["finance", "legacy"], 0),
  agent("active", ["support"], 1),
  agent("suspended", [], 0),
];

describe("bulk containment preview (what the console says before the confirm)", () => {
  it("a suspend by tag counts the active agents with the tag and their pending requests, skipping suspended ones and never counting retired ones", () => {
    expect(bulkPreview(AGENTS, "suspend", { tag: "finance" })).toEqual({ changes: 2, skipped: 1, pendingRequests: 7 });
    expect(bulkPreview(AGENTS, "suspend", { tag: "legacy" })).toEqual({ changes: 0, skipped: 0, pendingRequests: 0 });
  });

  it("a suspend of every agent counts every active one", () => {
    expect(bulkPreview(AGENTS, "suspend", { all: true })).toEqual({ changes: 3, skipped: 2, pendingRequests: 8 });
  });

  it("a resume counts the suspended agents and skips the active ones", () => {
    expect(bulkPreview(AGENTS, "resume", { tag: "finance" })).toEqual({ changes: 1, skipped: 2, pendingRequests: 0 });
    expect(bulkPreview(AGENTS, "resume", { all: true })).toEqual({ changes: 2, skipped: 3, pendingRequests: 0 });
  });

  it("offers the tags of agents that can be matched, once each and sorted", () => {
    expect(bulkTags(AGENTS)).toEqual(["eu", "finance", "support"]);
    expect(bulkTags([])).toEqual([]);
  });
});
