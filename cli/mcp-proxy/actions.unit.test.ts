import { describe, expect, it } from "vitest";
import { ACTION_PATTERN } from "../../lib/schemas/requests.ts";
import { actionFor, fingerprintOf, SERVER_NAME_PATTERN, summaryFor } from "./actions.ts";

describe("mcp-proxy action names", () => {
  it("keeps tool names that are valid action segments", () => {
    expect(actionFor("github", "create_issue")).toBe("mcp.github.create_issue");
    expect(actionFor("fs", "files.read")).toBe("mcp.fs.files.read");
  });

  it("maps other names by the name alone, so case and punctuation never collide", () => {
    expect(actionFor("github", "createIssue")).toBe("mcp.github.createissue-706a5e2e");
    expect(actionFor("github", "createIssue")).toBe(actionFor("github", "createIssue"));
    expect(actionFor("github", "CreateIssue")).not.toBe(actionFor("github", "createIssue"));
    expect(actionFor("x", "API-post search")).toMatch(/^mcp\.x\.api-post_search-[0-9a-f]{8}$/);
    expect(actionFor("x", "_private")).toMatch(/^mcp\.x\.t_private-[0-9a-f]{8}$/);
    for (const tool of ["Ωmega", "a/b", "x".repeat(200), "-dash", "Ü"]) {
      const action = actionFor("some-server", tool);
      expect(action).toMatch(ACTION_PATTERN);
      expect(action.length).toBeLessThanOrEqual(128);
    }
  });

  it("server names are one segment without dots or capitals", () => {
    expect(SERVER_NAME_PATTERN.test("github")).toBe(true);
    expect(SERVER_NAME_PATTERN.test("my_server-2")).toBe(true);
    for (const bad of ["", "My", "a.b", "-a", "x".repeat(41), "a b"]) expect(SERVER_NAME_PATTERN.test(bad)).toBe(false);
  });
});

describe("mcp-proxy summaries and fingerprints", () => {
  it("reads TOOL(name: value, …) in canonical order, cut to 200 characters without splitting a character", () => {
    expect(summaryFor("transfer", { to: "acct_1", amount: 5 })).toBe('transfer(amount: 5, to: "acct_1")');
    expect(summaryFor("ping", {})).toBe("ping()");
    const long = summaryFor("write", { text: "😀".repeat(300) });
    expect(Array.from(long)).toHaveLength(200);
    expect(long.endsWith("…")).toBe(true);
    expect(long.isWellFormed()).toBe(true);
  });

  it("identifies a call by server, tool and canonical arguments", () => {
    expect(fingerprintOf("a", "t", { x: 1, y: 2 })).toBe(fingerprintOf("a", "t", { y: 2, x: 1 }));
    expect(fingerprintOf("a", "t", { x: 1 })).not.toBe(fingerprintOf("b", "t", { x: 1 }));
    expect(fingerprintOf("a", "t", { x: 1 })).not.toBe(fingerprintOf("a", "u", { x: 1 }));
  });
});
