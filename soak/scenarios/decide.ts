import { performance } from "node:perf_hooks";
import { type HttpResult, keepAliveAgent, parseJson } from "../../bench/http.ts";
import { sleep, summarize } from "../../bench/stats.ts";
import { startCreates } from "../load.ts";
import { decide as decideCall, ms, type Scenario, seconds } from "../scenario.ts";
import { RAISED_FOR_LOAD, withStack } from "../stack.ts";
import { count, describe, send, Traffic } from "../traffic.ts";
import { type PatientWaiter, patientWaiter, statusOf } from "../waiter.ts";

/** Decisions timed with no other load first, the baseline of the loaded figures. */
const BASELINE_DECISIONS = 40;
/** Requests with an agent long-waiting on them, queued for the reviewers (at most this many at once). */
const QUEUE = 64;
/** Far above any wake-up under load, far below the 60 s a missed one waits. */
const WOKEN_WITHIN_MS = 10_000;
const MARKER = { action: "soak.marker", summary: "soak: does the rule imported mid-load apply?" };
const IMPORTED_RULE = { name: "soak-imported-mid-load", actions: ["soak.marker"], effect: "deny", reason: "soak: imported mid-load" };

/** One part of the app's own time for a call (its `Server-Timing`: app, db, pool), ms. */
function timing(res: HttpResult, part: "app" | "db" | "pool"): number {
  const m = new RegExp(`${part};dur=([\\d.]+)`).exec(String(res.headers["server-timing"] ?? ""));
  return m ? Number(m[1]) : Number.NaN;
}

interface Timed {
  app: number;
  db: number;
  pool: number;
}

const timed = (res: HttpResult): Timed => ({ app: timing(res, "app"), db: timing(res, "db"), pool: timing(res, "pool") });

interface Decided {
  id: string;
  decision: "approve" | "deny";
  /** Round trip of the decision call, ms. */
  ms: number;
  /** Of which in the app, its queries and its wait for a connection, ms. */
  server: Timed;
  at: number;
  waiter: PatientWaiter;
}

/**
 * Creates at the maximum rate (closed loop, varied bodies) while reviewers
 * approve and deny requests that agents long-wait on. Mid-run: a policy
 * import (the current document plus one rule) and the revocation of an admin
 * token that is in use.
 */
export const decide: Scenario = {
  name: "decide",
  title: "decisions while creates run at the maximum rate; a policy import and an admin-token revocation mid-load",
  async run({ knobs: k, log, checks, figures, appEnv }) {
    appEnv(RAISED_FOR_LOAD);
    await withStack(k, { agents: k.agents, reviewers: k.reviewers }, log, async (s) => {
      const traffic = new Traffic();
      const url = s.url;
      const keys = s.agents.map((a) => a.key);
      const token = (t: string) => ({ authorization: `Bearer ${t}` });
      const revocable = await s.createAdminToken("soak-revocable");
      const marker = async () => {
        const res = await send(traffic, "create", `${url}/api/v1/requests`, { method: "POST", agent: s.http, headers: token(keys[0]), body: MARKER });
        return res.status === 201 ? statusOf(res) : `${res.status}`;
      };
      const markerBefore = await marker();

      const waitAgent = keepAliveAgent();
      const reviewAgent = keepAliveAgent();

      // Baseline, in this run on this machine: the same decisions with nothing else running.
      const idle: string[] = [];
      const seed = startCreates({ urls: [url], keys, connections: 1, traffic, onCreated: (a) => a.status === "pending" && idle.push(a.id) });
      while (idle.length < BASELINE_DECISIONS) await sleep(20);
      await seed.stop();
      const baselineMs: number[] = [];
      const baselineServer: Timed[] = [];
      for (const [i, id] of idle.slice(0, BASELINE_DECISIONS).entries()) {
        const t0 = performance.now();
        const res = await decideCall(traffic, url, s.reviewers[0].cookie, id, i % 4 === 3 ? "deny" : "approve", reviewAgent);
        if (res.status === 200) {
          baselineMs.push(res.at - t0);
          baselineServer.push(timed(res));
        }
      }

      const stopWaiting = new AbortController();
      const end = performance.now() + k.decideSeconds * 1000;
      const queue: { id: string; waiter: PatientWaiter }[] = [];
      const decided: Decided[] = [];
      const refused: string[] = [];
      const load = startCreates({
        urls: [url],
        keys,
        connections: k.connections,
        traffic,
        onCreated: (a) => {
          if (queue.length >= QUEUE || a.status !== "pending" || performance.now() > end) return;
          const waiter = patientWaiter({
            urls: [url],
            key: keys[a.agent],
            requestId: a.id,
            agent: waitAgent,
            traffic,
            deadline: end + 90_000,
            signal: stopWaiting.signal,
          });
          queue.push({ id: a.id, waiter });
        },
      });
      let n = 0;
      const reviewers = s.reviewers.map(async ({ cookie }) => {
        while (performance.now() < end) {
          const item = queue.shift();
          if (!item) {
            await sleep(5);
            continue;
          }
          await item.waiter.sent;
          const decision = n++ % 4 === 3 ? "deny" : "approve";
          const t0 = performance.now();
          let res: HttpResult;
          try {
            res = await decideCall(traffic, url, cookie, item.id, decision, reviewAgent);
          } catch (err) {
            refused.push(String(err));
            continue;
          }
          if (res.status === 200) decided.push({ id: item.id, decision, ms: res.at - t0, server: timed(res), at: res.at, waiter: item.waiter });
          else refused.push(`${res.status} ${res.body.slice(0, 160)}`);
        }
      });

      // A client of the revocable token, reading the policy every 250 ms throughout.
      const tokenCalls: { sentAt: number; status: number | string }[] = [];
      const tokenUser = (async () => {
        while (performance.now() < end) {
          const sentAt = performance.now();
          try {
            const res = await send(traffic, "admin", `${url}/api/v1/admin/policies`, { agent: s.http, headers: token(revocable.token) });
            tokenCalls.push({ sentAt, status: res.status });
          } catch (err) {
            tokenCalls.push({ sentAt, status: String(err) });
          }
          await sleep(250);
        }
      })();

      // One third in: the policy import.
      await sleep(k.decideSeconds * 333);
      log("  importing the policy (current document + one rule)...");
      const exported = await send(traffic, "admin", `${url}/api/v1/admin/policies`, { agent: s.http, headers: token(s.adminToken.token) });
      let imported: HttpResult | undefined;
      let importMs = Number.NaN;
      if (exported.status === 200) {
        const doc = parseJson<{ rules: unknown[] }>(exported);
        const t0 = performance.now();
        imported = await send(traffic, "admin", `${url}/api/v1/admin/policies`, {
          method: "PUT",
          agent: s.http,
          headers: token(s.adminToken.token),
          body: { ...doc, rules: [...doc.rules, IMPORTED_RULE] },
          timeoutMs: 60_000,
        });
        importMs = imported.at - t0;
      }
      const markerAfter = await marker();
      checks.that(
        "policy import mid-load succeeds",
        exported.status === 200 && imported?.status === 200 && (parseJson<{ added?: string[] }>(imported).added ?? []).includes(IMPORTED_RULE.name),
        `export ${exported.status}, import ${imported ? `${imported.status} ${imported.body.slice(0, 200)}` : "not sent"}`,
      );
      checks.that(
        "the imported rule applies to new requests",
        markerBefore === "pending" && markerAfter === "denied",
        `marker request before: ${markerBefore}, after: ${markerAfter}`,
      );

      // Two thirds in: the revocation.
      await sleep(Math.max(0, end - performance.now() - k.decideSeconds * 333));
      log("  revoking the admin token in use...");
      const r0 = performance.now();
      const revoke = await send(traffic, "admin", `${url}/api/v1/admin/tokens/${revocable.id}/revoke`, {
        method: "POST",
        agent: s.http,
        headers: { cookie: s.admin.cookie, origin: url },
      });
      const revokedAt = revoke.at;
      const first = await send(traffic, "admin", `${url}/api/v1/admin/policies`, { agent: s.http, headers: token(revocable.token) });
      checks.that("admin-token revocation mid-load succeeds", revoke.status === 200, `${revoke.status} in ${(revoke.at - r0).toFixed(0)} ms`);
      checks.that("the revoked token is refused at once", first.status === 401, `first call after the revocation answered ${first.status}`);

      await Promise.all([...reviewers, tokenUser]);
      await load.stop();
      const loadSeconds = k.decideSeconds;
      const answers = await Promise.all(decided.map((d) => d.waiter.done));
      stopWaiting.abort();
      waitAgent.destroy();
      reviewAgent.destroy();

      const beforeRevoke = tokenCalls.filter((c) => c.sentAt < r0);
      const afterRevoke = tokenCalls.filter((c) => c.sentAt > revokedAt);
      checks.that(
        "the token works until revoked, and never after",
        beforeRevoke.every((c) => c.status === 200) && afterRevoke.every((c) => c.status === 401),
        `before: ${beforeRevoke.filter((c) => c.status === 200).length}/${beforeRevoke.length} answered 200; after: ${afterRevoke.filter((c) => c.status === 401).length}/${afterRevoke.length} answered 401`,
      );

      const decisionMs = decided.map((d) => d.ms);
      const p99 = decisionMs.length ? [...decisionMs].sort((a, b) => a - b)[Math.ceil(decisionMs.length * 0.99) - 1] : Number.POSITIVE_INFINITY;
      checks.that(
        "every decision succeeds",
        refused.length === 0 && decided.length > 0,
        `${decided.length} answered 200, ${refused.length} not${refused.length ? `: ${refused[0]}` : ""}`,
      );
      checks.that(`decision p99 < ${k.decisionP99LimitMs} ms under create load`, p99 < k.decisionP99LimitMs, ms(decisionMs));
      const wake: number[] = [];
      let wrong = 0;
      answers.forEach((a, i) => {
        const want = decided[i].decision === "approve" ? "approved" : "denied";
        if (a?.status === 200 && statusOf(a) === want) wake.push(a.at - decided[i].at);
        else wrong++;
      });
      checks.that("every waiting agent gets its decision", wrong === 0, `${wake.length} of ${decided.length} answered with the decision`);
      // A waiter that missed its wake-up is answered only when its 60 s wait runs out.
      const slept = wake.filter((t) => t > WOKEN_WITHIN_MS);
      checks.that(
        `every waiting agent is woken by the decision (within ${seconds(WOKEN_WITHIN_MS)})`,
        slept.length === 0 && wake.length > 0,
        `${slept.length} answered later (${slept.map((t) => seconds(t)).join(", ") || "none"}); ${ms(wake)}`,
      );

      const snapshot = traffic.snapshot();
      checks.traffic(snapshot, traffic.examples);
      const missing = await s.missing(load.acked.map((a) => a.id));
      checks.that("every acknowledged create is stored", missing.length === 0, `${missing.length} of ${load.acked.length} missing`);
      const audit = await s.verifyAudit();
      checks.that("the audit chain verifies", audit.ok, audit.detail);

      figures["creates (closed loop)"] =
        `${k.connections} connections, ${seconds(loadSeconds * 1000)}: ${load.acked.length} created, ${Math.round(load.acked.length / loadSeconds)}/s`;
      figures["create latency"] = ms(load.latencies);
      figures["decision call latency, no other load (baseline)"] = ms(baselineMs);
      figures["decision call latency"] = ms(decisionMs);
      for (const [part, label] of [
        ["app", "in the app"],
        ["db", "in its queries"],
        ["pool", "waiting for a connection"],
      ] as const) {
        figures[`decision: ${label} (Server-Timing), baseline → under load`] =
          `${ms(baselineServer.map((t) => t[part]))} → ${ms(decided.map((d) => d.server[part]))}`;
      }
      figures["decision p50 under load ÷ baseline p50"] = `${(summarize(decisionMs).p50 / summarize(baselineMs).p50).toFixed(1)}×`;
      figures["decision → agent wake-up"] = ms(wake);
      figures.decisions = `${decided.length} by ${k.reviewers} reviewers (${Math.round(decided.length / loadSeconds)}/s), ¼ denials`;
      figures["policy import under load"] = `${importMs.toFixed(0)} ms`;
      figures["answers seen"] = describe(snapshot);
      figures["refused creates (429/503)"] = count(snapshot, "create", "429", "503");
    });
  },
};
