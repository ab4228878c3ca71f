import { performance } from "node:perf_hooks";
import { keepAliveAgent } from "../../bench/http.ts";
import { createPendingRequests } from "../../bench/setup.ts";
import { mapLimit, sleep } from "../../bench/stats.ts";
import { startCreates } from "../load.ts";
import { decide, decideUntilAnswered, ms, type Scenario, seconds, untilGauge, within } from "../scenario.ts";
import { RAISED_FOR_LOAD, withStack } from "../stack.ts";
import { between, count, describe, Traffic } from "../traffic.ts";
import { outcomes, patientWaiter, statusOf, wrongOnes } from "../waiter.ts";

/** Polls `GET /api/health` until 200; the ms it took, or null after `timeoutMs`. */
async function untilHealthy(url: string, timeoutMs: number): Promise<number | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    try {
      if ((await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) })).status === 200) return performance.now() - t0;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  return null;
}

/**
 * PostgreSQL restarted under load: creates, long-waits and decisions run
 * while the database stops (fast shutdown) and, a few seconds later, starts
 * again on the same folder and port.
 */
export const restart: Scenario = {
  name: "restart",
  title: "PostgreSQL stopped (fast shutdown) and started again under creates, waiters and decisions",
  async run({ knobs: k, log, checks, figures, appEnv }) {
    appEnv(RAISED_FOR_LOAD);
    await withStack(k, { agents: k.agents, reviewers: 2 }, log, async (s) => {
      const traffic = new Traffic();
      const url = s.url;
      const app = s.apps[0].process;
      const waited = await createPendingRequests(url, s.agents, k.restartWaiters, s.http, 50);
      const waitAgent = keepAliveAgent();
      const stopWaiting = new AbortController();
      const ws = waited.map((p) =>
        patientWaiter({
          urls: [url],
          key: p.agent.key,
          requestId: p.id,
          agent: waitAgent,
          traffic,
          deadline: performance.now() + 300_000,
          signal: stopWaiting.signal,
        }),
      );
      try {
        const held = await untilGauge(url, waited.length, 30_000);
        checks.that("every waiter is held before the restart", held === waited.length, `countersign_waiting_agents = ${held} of ${waited.length}`);

        const load = startCreates({ urls: [url], keys: s.agents.map((a) => a.key), connections: k.connections, traffic });
        // Half the waited requests are decided by two reviewers through every phase, one every 200 ms each.
        const toDecide = waited.slice(0, Math.floor(waited.length / 2)).map((p) => p.id);
        const attempted = new Set<string>();
        const acknowledged = new Map<string, string>();
        const unexpected: string[] = [];
        let reviewing = true;
        const reviewers = s.reviewers.map(async ({ cookie }) => {
          while (reviewing) {
            const id = toDecide.shift();
            if (!id) break;
            try {
              const res = await decide(traffic, url, cookie, id, "approve", s.http);
              if (res.status === 200) acknowledged.set(id, "approved");
              else if (res.status === 503 || res.status === 429) toDecide.push(id);
              else if (!(res.status === 409 && attempted.has(id))) unexpected.push(`${res.status} ${res.body.slice(0, 160)}`);
            } catch {
              toDecide.push(id);
            }
            attempted.add(id);
            await sleep(200);
          }
        });

        await sleep(k.phaseSeconds * 1000);
        log("  stopping PostgreSQL (fast shutdown)...");
        let t = performance.now();
        await s.database.stop();
        const stopMs = performance.now() - t;
        const down0 = traffic.snapshot();
        await sleep(k.downSeconds * 1000);
        const down1 = traffic.snapshot();
        log("  starting PostgreSQL again (same folder, same port)...");
        t = performance.now();
        await s.database.start();
        const started = performance.now();
        const startMs = started - t;
        const healthyMs = await untilHealthy(url, 60_000);
        await sleep(k.phaseSeconds * 1000);
        reviewing = false;
        await Promise.all(reviewers);
        await load.stop();

        const outage = between(down0, down1);
        const firstAfter = load.acked.find((a) => a.at > started);
        figures["PostgreSQL fast shutdown / start"] = `${stopMs.toFixed(0)} ms / ${startMs.toFixed(0)} ms`;
        figures[`answers while down (${k.downSeconds} s)`] = describe(outage);
        figures["started → /api/health 200 / first create acknowledged"] =
          `${healthyMs === null ? "never" : `${healthyMs.toFixed(0)} ms`} / ${firstAfter ? `${(firstAfter.at - started).toFixed(0)} ms` : "none"}`;
        figures["creates acknowledged"] = `${load.acked.length} (${ms(load.latencies)})`;
        checks.that(
          "503 with Retry-After while PostgreSQL is down",
          count(outage, null, "503") > 0,
          `${count(outage, null, "503")} answers 503 during the outage (${JSON.stringify(outage.unavailableCodes)})`,
        );
        checks.that("the app stays up", app.exitCode === null && app.signalCode === null, `exit code ${app.exitCode}, signal ${app.signalCode}`);
        checks.that(
          "it serves again once PostgreSQL is back",
          healthyMs !== null && firstAfter !== undefined,
          `health ${healthyMs === null ? "never 200" : `200 after ${seconds(healthyMs)}`}, creates ${firstAfter ? "acknowledged again" : "never acknowledged again"}`,
        );

        // The other half (and any the reviewers did not get to) decided after the return.
        const rest = waited.map((p) => p.id).filter((id) => !acknowledged.has(id));
        const lateBy = performance.now() + 60_000;
        const late = await mapLimit(rest, 10, (id) => decideUntilAnswered(traffic, s.http, url, s.reviewers[0].cookie, id, lateBy));
        late.forEach(({ decided, answer }, i) => {
          if (answer?.status === 200) acknowledged.set(rest[i], "approved");
          else if (!(decided || (answer?.status === 409 && attempted.has(rest[i]))))
            unexpected.push(`${answer?.status ?? "no answer"} ${answer?.body.slice(0, 160) ?? ""}`);
        });
        checks.that(
          "every decision is answered",
          unexpected.length === 0,
          `${acknowledged.size} acknowledged, ${unexpected.length} other${unexpected.length ? `: ${unexpected[0]}` : ""}`,
        );

        const answers = (await within(Promise.all(ws.map((w) => w.done)), 60_000)) ?? [];
        stopWaiting.abort();
        waitAgent.destroy();
        const final = await Promise.all(ws.map((w) => w.done));
        const stored = await s.statuses(waited.map((p) => p.id));
        const lostDecisions = [...acknowledged].filter(([id, st]) => stored.get(id) !== st);
        checks.that(
          "every acknowledged decision is stored",
          lostDecisions.length === 0,
          `${lostDecisions.length} of ${acknowledged.size} differ in the database`,
        );
        const wrong = final.filter((a, i) => !(a?.status === 200 && statusOf(a) === stored.get(waited[i].id) && statusOf(a) !== "pending"));
        checks.that(
          "every waiter opened before the restart gets its decision",
          wrong.length === 0 && answers.length === ws.length,
          `${JSON.stringify(outcomes(final))}; ${ws.reduce((n, w) => n + w.refusals, 0)} refusals waited out, ${ws.reduce((n, w) => n + w.failures, 0)} calls without answer${wrongOnes(
            ws,
            final,
            (a, i) => a?.status === 200 && statusOf(a) === stored.get(waited[i].id) && statusOf(a) !== "pending",
            (i) => ` (stored ${stored.get(waited[i].id)})`,
          )}`,
        );
        const missing = await s.missing(load.acked.map((a) => a.id));
        checks.that("every acknowledged create is stored", missing.length === 0, `${missing.length} of ${load.acked.length} missing`);
        const snapshot = traffic.snapshot();
        checks.that(
          "every call is answered (no timeout, no dropped connection)",
          count(snapshot, null, "timeout", "connection") === 0,
          `${count(snapshot, null, "timeout")} timeouts, ${count(snapshot, null, "connection")} dropped connections`,
        );
        checks.traffic(snapshot, traffic.examples);
        figures["answers seen"] = describe(snapshot);
      } finally {
        stopWaiting.abort();
        waitAgent.destroy();
      }
      const audit = await s.verifyAudit();
      checks.that("the audit chain verifies", audit.ok, audit.detail);
    });
  },
};
