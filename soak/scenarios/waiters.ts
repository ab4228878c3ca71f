import { performance } from "node:perf_hooks";
import { keepAliveAgent } from "../../bench/http.ts";
import { memoryNow } from "../../bench/proc.ts";
import { createPendingRequests } from "../../bench/setup.ts";
import { percentile } from "../../bench/stats.ts";
import { untilAllWaiting } from "../../bench/waiting.ts";
import { type Scenario, ms, seconds, within } from "../scenario.ts";
import { RAISED_FOR_LOAD, withStack } from "../stack.ts";
import { send, Traffic } from "../traffic.ts";
import { OPENING, outcomes, type PatientWaiter, patientWaiter, statusOf } from "../waiter.ts";

/** `cancelled_requests` of a suspension answer: a list of ids (single) or a count (bulk). */
const cancelledCount = (v: unknown): number => (Array.isArray(v) ? v.length : typeof v === "number" ? v : 0);

/**
 * 10,000 agents long-waiting, then the kill switch pulled the way an
 * incident script would: 100 single suspensions in parallel for half the
 * agents and one bulk suspension by tag for the other half, at the same
 * moment. Every admin call must succeed and every waiter must be answered
 * `cancelled` within the limit.
 */
export const waiters: Scenario = {
  name: "waiters",
  title: "10,000 long-waits, then the kill switch (single suspensions + one bulk suspension by tag, at once)",
  async run({ knobs: k, log, checks, figures, appEnv }) {
    const half = Math.floor(k.agents / 2);
    const perAgent = Math.ceil(k.waiters / k.agents);
    const env: Record<string, string> = {};
    // 50 long-waits per agent by default (200 agents × 50 = 10,000): raised only if fewer agents must carry the waiters.
    if (perAgent > 50) env.COUNTERSIGN_MAX_WAITS_PER_AGENT = String(perAgent);
    appEnv(`${RAISED_FOR_LOAD}${perAgent > 50 ? `, COUNTERSIGN_MAX_WAITS_PER_AGENT=${perAgent}` : ""}`);
    const tags = (i: number) => (i < half ? ["soak", "soak-single"] : ["soak", "soak-bulk"]);
    await withStack(k, { agents: k.agents, tags, appEnv: env }, log, async (s) => {
      const traffic = new Traffic();
      const pid = s.apps[0].process.pid!;
      log(`  creating ${k.waiters} pending requests (50 at a time)...`);
      let t = performance.now();
      const pending = await createPendingRequests(s.url, s.agents, k.waiters, s.http, 50);
      figures["pending requests created through the API"] =
        `${pending.length} in ${seconds(performance.now() - t)} (${Math.round(pending.length / ((performance.now() - t) / 1000))}/s)`;

      const before = memoryNow(pid);
      const waitAgent = keepAliveAgent();
      const stopWaiting = new AbortController();
      const ws: PatientWaiter[] = [];
      const deadline = performance.now() + 600_000;
      t = performance.now();
      for (const [i, p] of pending.entries()) {
        ws.push(
          patientWaiter({
            urls: [s.url],
            key: p.agent.key,
            requestId: p.id,
            agent: waitAgent,
            traffic,
            deadline,
            signal: stopWaiting.signal,
            start: i < OPENING ? undefined : ws[i - OPENING].sent,
          }),
        );
      }
      try {
        const ready = await untilAllWaiting(s.url, pid, ws, 180_000);
        const parked = memoryNow(pid);
        const early = ws.filter((w) => w.settled).length;
        figures["long-waits parked"] = `${k.waiters} in ${seconds(ready.ms)}`;
        figures["app RSS before → all parked"] =
          `${before.rssMiB.toFixed(0)} → ${parked.rssMiB.toFixed(0)} MiB (${(((parked.rssMiB - before.rssMiB) * 1024) / k.waiters).toFixed(1)} KiB per waiter)`;
        checks.that(
          "the app holds every long-wait",
          ready.gauge === k.waiters && early === 0,
          `countersign_waiting_agents = ${ready.gauge} of ${k.waiters}, ${early} answered early`,
        );

        // The kill switch: every call at once.
        const auth: Record<string, string> =
          k.adminAuth === "token" ? { authorization: `Bearer ${s.adminToken.token}` } : { cookie: s.admin.cookie, origin: s.url };
        const adminAgent = keepAliveAgent();
        const suspend = async (path: string, body: Record<string, unknown>) => {
          const t0 = performance.now();
          try {
            const res = await send(traffic, "admin", `${s.url}${path}`, { method: "POST", agent: adminAgent, headers: auth, body, timeoutMs: 60_000 });
            return { res, ms: res.at - t0, error: null };
          } catch (err) {
            return { res: null, ms: performance.now() - t0, error: String(err) };
          }
        };
        const reason = "soak: incident, all soak agents stopped";
        const t0 = performance.now();
        const [singles, bulk] = await Promise.all([
          Promise.all(s.agents.slice(0, half).map((a) => suspend(`/api/v1/admin/agents/${a.agentId}/suspend`, { reason }))),
          suspend("/api/v1/admin/agents/suspend", { tag: "soak-bulk", reason }),
        ]);
        const adminDone = performance.now();
        const answers = await within(Promise.all(ws.map((w) => w.done)), Math.max(k.killSwitchLimitMs * 3, 30_000));
        stopWaiting.abort();
        waitAgent.destroy();
        adminAgent.destroy();
        const final = answers ?? (await Promise.all(ws.map((w) => w.done)));
        const after = memoryNow(pid);

        const singleOk = singles.filter((x) => x.res && x.res.status >= 200 && x.res.status < 300).length;
        const bulkOk = !!bulk.res && bulk.res.status >= 200 && bulk.res.status < 300;
        const bad = [...singles, bulk].filter((x) => !(x.res && x.res.status >= 200 && x.res.status < 300));
        checks.that(
          `every admin call succeeds (${half} single + 1 bulk, ${k.adminAuth})`,
          bad.length === 0,
          `${singleOk}/${half} single 2xx, bulk ${bulk.res?.status ?? bulk.error}${bad.length ? `; e.g. ${bad[0].res ? `${bad[0].res.status} ${bad[0].res.body.slice(0, 160)}` : bad[0].error}` : ""}`,
        );
        let cancelled = singles.reduce(
          (n, x) => n + (x.res?.status === 200 ? cancelledCount((JSON.parse(x.res.body) as { cancelled_requests?: unknown }).cancelled_requests) : 0),
          0,
        );
        let bulkSuspended = 0;
        if (bulkOk) {
          const b = JSON.parse(bulk.res!.body) as { suspended?: { cancelled_requests?: unknown }[]; skipped?: unknown[] };
          bulkSuspended = b.suspended?.length ?? 0;
          cancelled += (b.suspended ?? []).reduce((n, x) => n + cancelledCount(x.cancelled_requests), 0);
          checks.that(
            "the bulk suspension stops exactly the tagged agents",
            bulkSuspended === k.agents - half && (b.skipped?.length ?? 0) === 0,
            `${bulkSuspended} suspended of ${k.agents - half} tagged soak-bulk, ${b.skipped?.length ?? 0} skipped`,
          );
        }
        checks.that("every pending request is cancelled", cancelled === k.waiters, `${cancelled} of ${k.waiters} reported cancelled by the suspensions`);

        const answeredAt = final.filter((a) => a !== null).map((a) => a!.at - t0);
        const allCancelled = final.every((a) => a?.status === 200 && statusOf(a) === "cancelled");
        checks.that("every waiter is answered `cancelled`", allCancelled, JSON.stringify(outcomes(final)));
        const last = answeredAt.length ? Math.max(...answeredAt) : Number.POSITIVE_INFINITY;
        checks.that(
          `kill switch → last waiter answered ≤ ${seconds(k.killSwitchLimitMs)}`,
          allCancelled && last <= k.killSwitchLimitMs,
          `${answeredAt.length === k.waiters ? `last answer after ${seconds(last)}` : `${k.waiters - answeredAt.length} not answered within ${seconds(Math.max(k.killSwitchLimitMs * 3, 30_000))}`}`,
        );
        figures["kill switch → half / last waiter answered"] = answeredAt.length
          ? `${seconds(percentile(answeredAt, 50))} / ${seconds(last)}`
          : "none answered";
        figures["admin calls: single suspensions"] = ms(singles.map((x) => x.ms));
        figures["admin calls: bulk suspension"] = `${bulk.ms.toFixed(0)} ms (${bulk.res?.status ?? bulk.error})`;
        figures["kill switch → every admin call answered"] = seconds(adminDone - t0);
        figures["app RSS after every answer"] = `${after.rssMiB.toFixed(0)} MiB`;
      } finally {
        stopWaiting.abort();
        waitAgent.destroy();
      }
      checks.traffic(traffic.snapshot(), traffic.examples);
      const audit = await s.verifyAudit();
      checks.that("the audit chain verifies", audit.ok, audit.detail);
    });
  },
};
