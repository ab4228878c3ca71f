import { performance } from "node:perf_hooks";
import { keepAliveAgent } from "../../bench/http.ts";
import { memoryNow } from "../../bench/proc.ts";
import { createPendingRequests } from "../../bench/setup.ts";
import { sleep } from "../../bench/stats.ts";
import { waitingGauge } from "../../bench/waiting.ts";
import { startCreates } from "../load.ts";
import { ms, pollHealth, type Scenario, seconds, within } from "../scenario.ts";
import { RAISED_FOR_LOAD, withStack } from "../stack.ts";
import { between, count, describe, Traffic, type TrafficSnapshot } from "../traffic.ts";
import { OPENING, outcomes, type PatientWaiter, patientWaiter } from "../waiter.ts";

/** The app's default COUNTERSIGN_MAX_WAITS. */
const DEFAULT_MAX_WAITS = 20_000;
/** The app's default COUNTERSIGN_MAX_WAITS_PER_REQUEST: waiters share requests up to it. */
const WAITS_PER_REQUEST = 10;
const WAIT_STEP = 2000;
/** Closed-loop create connections per step; the last is past the app's default cap on calls in flight (256). */
const CREATE_STEPS = [8, 16, 32, 64, 128, 256, 512];
/** A step of long-waits that is not all held (or refused) within this is where the process stopped keeping up. */
const STEP_LIMIT_MS = 30_000;
const RELEASE_LIMIT_MS = 60_000;

/**
 * Graceful overload of one process: long-waits ramped in steps past the
 * process-wide cap, then creates ramped in concurrency, until it sheds with
 * 429/503 and Retry-After. Reports what one process holds: waiters parked and
 * creates per second at the knee. Throughout, nothing may answer 500 and
 * `/api/health` must answer 200.
 */
export const overload: Scenario = {
  name: "overload",
  title: "one process ramped past its limits: long-waits, then concurrent creates",
  async run({ knobs: k, log, checks, figures, appEnv, fdLimit }) {
    // Each held wait is a socket here and in the app, and both have this open-file limit: keep 3,000 for everything else.
    const budget = Math.floor((fdLimit - 3000) / 1000) * 1000;
    const cap = k.overloadMaxWaits ?? Math.min(DEFAULT_MAX_WAITS, budget - 1000);
    const target = Math.min(cap + 1000, budget);
    const perAgent = Math.ceil(target / k.agents) + 10;
    const env: Record<string, string> = { COUNTERSIGN_MAX_WAITS_PER_AGENT: String(perAgent) };
    if (cap !== DEFAULT_MAX_WAITS) env.COUNTERSIGN_MAX_WAITS = String(cap);
    appEnv(
      `${RAISED_FOR_LOAD}, COUNTERSIGN_MAX_WAITS_PER_AGENT=${perAgent} (${target} waits over ${k.agents} agents)${
        cap !== DEFAULT_MAX_WAITS ? `, COUNTERSIGN_MAX_WAITS=${cap} (open-file limit ${fdLimit}: the default ${DEFAULT_MAX_WAITS} cannot be reached here)` : ""
      }`,
    );
    await withStack(k, { agents: k.agents, appEnv: env }, log, async (s) => {
      const traffic = new Traffic();
      const url = s.url;
      const pid = s.apps[0].process.pid!;
      const healthAgent = keepAliveAgent();
      const health = pollHealth(traffic, [url], healthAgent, 1000);
      const waitAgent = keepAliveAgent();
      const stopWaiting = new AbortController();
      try {
        const requests = await createPendingRequests(url, s.agents, Math.ceil(target / WAITS_PER_REQUEST), s.http, 50);
        log(`  ramping long-waits to ${target} in steps of ${WAIT_STEP} (cap ${cap})...`);
        health.phase("long-wait ramp");
        const ws: PatientWaiter[] = [];
        const deadline = performance.now() + 600_000;
        let maxHeld = 0;
        let waitKnee = `kept up with all ${target}`;
        const steps: string[] = [];
        while (ws.length < target) {
          const from = ws.length;
          const t0 = performance.now();
          for (let i = from; i < Math.min(target, from + WAIT_STEP); i++) {
            const r = requests[Math.floor(i / WAITS_PER_REQUEST)];
            ws.push(
              patientWaiter({
                urls: [url],
                key: r.agent.key,
                requestId: r.id,
                agent: waitAgent,
                traffic,
                deadline,
                retryRefusals: false,
                signal: stopWaiting.signal,
                start: i - from < OPENING ? undefined : ws[i - OPENING].sent,
              }),
            );
          }
          // Parked or refused: every waiter of the step is one or the other, within STEP_LIMIT_MS, or the process stopped keeping up.
          const until = t0 + STEP_LIMIT_MS;
          await within(Promise.all(ws.slice(from).map((w) => w.sent)), STEP_LIMIT_MS);
          let gauge = 0;
          do {
            await sleep(100);
            gauge = (await waitingGauge(url)) ?? 0;
          } while (gauge + ws.filter((w) => w.settled).length < ws.length && performance.now() < until);
          maxHeld = Math.max(maxHeld, gauge);
          const refused = ws.filter((w) => w.settled).length;
          const kept = gauge + refused >= ws.length;
          const line = `${ws.length} opened: ${gauge} held, ${refused} answered (refused), RSS ${memoryNow(pid).rssMiB.toFixed(0)} MiB, ${seconds(performance.now() - t0)}${kept ? "" : " (not all held or answered: stopped here)"}`;
          steps.push(line);
          log(`  ${line}`);
          if (!kept) {
            waitKnee = `stopped keeping up between ${from} and ${ws.length} long-waits`;
            break;
          }
        }
        const refusals = (await Promise.all(ws.filter((w) => w.settled).map((w) => w.done))).filter((r) => r !== null);
        const shed = refusals.filter((r) => r!.status === 503 || r!.status === 429).length;
        figures["long-waits held by one process"] =
          `${maxHeld} at most (cap ${cap}); ${waitKnee}; ${JSON.stringify(outcomes(refusals))} answered while ramping`;
        figures["long-wait ramp"] = steps.join("; ");
        const keptUp = steps.length > 0 && !waitKnee.startsWith("stopped");
        checks.that(
          "one process sheds long-waits (429/503) instead of falling behind",
          keptUp && maxHeld <= cap && shed > 0 && shed === refusals.length,
          `${maxHeld} held at most of ${ws.length} opened (cap ${cap}); ${waitKnee}; ${shed} refused with 429/503, ${refusals.length - shed} answered otherwise`,
        );

        health.phase("long-waits released");
        stopWaiting.abort();
        waitAgent.destroy();
        let left: number | null = null;
        const released = performance.now();
        while (performance.now() < released + RELEASE_LIMIT_MS && (left = await waitingGauge(url)) !== 0) await sleep(200);
        checks.that(
          `closed long-waits release their slots within ${seconds(RELEASE_LIMIT_MS)}`,
          left === 0,
          `countersign_waiting_agents = ${left} ${seconds(performance.now() - released)} after the clients went away`,
        );

        log(`  ramping concurrent creates: ${CREATE_STEPS.join(", ")} connections, ${k.overloadStepSeconds} s each...`);
        let knee = { connections: 0, perSecond: 0, latency: "" };
        const acked: string[] = [];
        const createSteps: string[] = [];
        let lastStep: TrafficSnapshot | null = null;
        for (const connections of CREATE_STEPS) {
          const before = traffic.snapshot();
          health.phase(`creates, ${connections} connections`);
          const load = startCreates({ urls: [url], keys: s.agents.map((a) => a.key), connections, traffic });
          await sleep(k.overloadStepSeconds * 1000);
          await load.stop();
          const step = between(before, traffic.snapshot());
          lastStep = step;
          const perSecond = Math.round(load.acked.length / k.overloadStepSeconds);
          acked.push(...load.acked.map((a) => a.id));
          const line = `${connections} conns: ${perSecond}/s created, ${count(step, "create", "429")} × 429, ${count(step, "create", "503")} × 503, latency ${ms(load.latencies)}`;
          createSteps.push(line);
          log(`  ${line}`);
          if (perSecond > knee.perSecond) knee = { connections, perSecond, latency: ms(load.latencies) };
        }
        const last = lastStep;
        checks.that(
          `creates past the cap on calls in flight are shed (${CREATE_STEPS.at(-1)} connections)`,
          !!last && count(last, "create", "503", "429") > 0,
          last ? `${count(last, "create", "503")} × 503, ${count(last, "create", "429")} × 429 in the last step` : "no step ran",
        );
        figures["creates/s one process holds (the knee)"] = `${knee.perSecond}/s at ${knee.connections} connections (${knee.latency})`;
        figures["create ramp"] = createSteps.join("; ");

        const results = await health.stop();
        const healthy = results.filter((r) => r.status === 200);
        const slowest = results.reduce((a, b) => (b.ms > a.ms ? b : a), results[0] ?? { ms: 0, phase: "none" });
        checks.that(
          "/api/health answers 200 throughout",
          healthy.length === results.length && results.length > 0,
          `${healthy.length} of ${results.length} polls 200${
            healthy.length < results.length
              ? ` (not: ${results
                  .filter((r) => r.status !== 200)
                  .map((r) => `${r.status} during ${r.phase}`)
                  .join(", ")})`
              : ""
          }; slowest ${slowest.ms.toFixed(0)} ms during ${slowest.phase}`,
        );
        checks.that("the app stays up", s.apps[0].process.exitCode === null, `exit code ${s.apps[0].process.exitCode}`);
        const missing = await s.missing(acked);
        checks.that("every acknowledged create is stored", missing.length === 0, `${missing.length} of ${acked.length} missing`);
        const snapshot = traffic.snapshot();
        checks.traffic(snapshot, traffic.examples);
        figures["answers seen"] = describe(snapshot);
      } finally {
        stopWaiting.abort();
        waitAgent.destroy();
        await health.stop();
        healthAgent.destroy();
      }
      const audit = await s.verifyAudit();
      checks.that("the audit chain verifies", audit.ok, audit.detail);
    });
  },
};
