import * as sdk from "@countersign/sdk";
import { guard, requestApproval } from "@countersign/sdk";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeHub } from "../../../lib/events/hub.ts";
import { baseUrl, newAgent } from "../../../test/support/fixtures.ts";
import { ruleFor, uniqueAction } from "./helpers.ts";

afterAll(async () => {
  await closeHub();
});

const packageDir = path.resolve(import.meta.dirname, "..");

describe("top-level functions read COUNTERSIGN_URL and COUNTERSIGN_AGENT_KEY", () => {
  const saved = { url: process.env.COUNTERSIGN_URL, key: process.env.COUNTERSIGN_AGENT_KEY };
  beforeEach(() => {
    process.env.COUNTERSIGN_URL = baseUrl();
  });
  afterEach(() => {
    for (const [name, value] of [
      ["COUNTERSIGN_URL", saved.url],
      ["COUNTERSIGN_AGENT_KEY", saved.key],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("requestApproval: one import, one call", async () => {
    const agent = await newAgent();
    const action = uniqueAction();
    await ruleFor(agent, action, "allow");
    process.env.COUNTERSIGN_AGENT_KEY = agent.key;
    const result = await requestApproval({ action, summary: "from the environment" });
    expect(result).toMatchObject({ status: "approved", request: { agent_id: agent.agentId } });
  });

  it("follows a changed key, and guard reads the environment when called", async () => {
    const [first, second] = [await newAgent(), await newAgent()];
    const action = uniqueAction();
    await ruleFor(first, action, "allow");
    await ruleFor(second, action, "allow");
    const guarded = guard(
      action,
      (n: number) => n * 2,
      (n) => ({ summary: `double ${n}`, params: { n } }),
    );

    process.env.COUNTERSIGN_AGENT_KEY = first.key;
    expect((await requestApproval({ action, summary: "first" })).request.agent_id).toBe(first.agentId);
    process.env.COUNTERSIGN_AGENT_KEY = second.key;
    expect((await requestApproval({ action, summary: "second" })).request.agent_id).toBe(second.agentId);
    await expect(guarded(21)).resolves.toBe(42);
  });

  it("rejects (does not throw) when the environment is missing", async () => {
    delete process.env.COUNTERSIGN_URL;
    const pending = requestApproval({ action: "x.y", summary: "no url" });
    await expect(pending).rejects.toThrow(/COUNTERSIGN_URL/);
  });
});

describe("the package", () => {
  it("works through require() (the CommonJS build), jose included", async () => {
    const require = createRequire(import.meta.url);
    const resolved = require.resolve("@countersign/sdk");
    expect(resolved).toBe(path.join(packageDir, "dist", "cjs", "index.js"));
    const cjs = require("@countersign/sdk") as typeof sdk;
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(sdk).sort());

    const agent = await newAgent();
    const action = uniqueAction();
    await ruleFor(agent, action, "allow");
    const result = await new cjs.Countersign({ url: baseUrl(), agentKey: agent.key }).requestApproval({ action, summary: "from CommonJS", params: { a: 1 } });
    if (result.status !== "approved" || !result.grant.token) throw new Error("expected a grant");
    const claims = await cjs.verifyGrant(result.grant.token, { jwksUrl: `${baseUrl()}/.well-known/jwks.json` });
    expect(claims).toMatchObject({ request_id: result.request.id, action });
    await expect(cjs.redeemGrant(result.grant.token, { action, params: { b: 2 } }, { url: baseUrl() })).rejects.toBeInstanceOf(cjs.CountersignError);
  });

  it("exports the documented API", () => {
    for (const name of [
      "Countersign",
      "requestApproval",
      "guard",
      "redeemGrant",
      "verifyGrant",
      "CountersignError",
      "CountersignNetworkError",
      "ApprovalDeniedError",
      "ApprovalNotGrantedError",
    ]) {
      expect(typeof (sdk as Record<string, unknown>)[name], name).toBe("function");
    }
  });

  it("declares its version, and imports nothing from node: nor jose up front (browsers, edge runtimes)", () => {
    const pkg = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8"));
    expect(sdk.VERSION).toBe(pkg.version);
    expect(Object.keys(pkg.dependencies)).toEqual(["jose"]);
    for (const format of ["esm", "cjs"]) {
      const dir = path.join(packageDir, "dist", format);
      for (const file of readdirSync(dir).filter((f) => f.endsWith(".js"))) {
        const code = readFileSync(path.join(dir, file), "utf8");
        expect(code, `${format}/${file}`).not.toMatch(/["']node:/);
        expect(code, `${format}/${file}`).not.toMatch(/(from\s+|require\()["']jose["']/);
      }
    }
  });
});
