import { performance } from "node:perf_hooks";
import { keepAliveAgent } from "../../bench/http.ts";
import { createPendingRequests } from "../../bench/setup.ts";
import { sleep } from "../../bench/stats.ts";
import { startCreates } from "../load.ts";
import { ms, type Scenario, seconds, untilGauge, within } from "../scenario.ts";
import { RAISED_FOR_LOAD, withStack } from "../stack.ts";
import { describe, Traffic } from "../traffic.ts";
import { OPENING, outcomes, type PatientWaiter, patientWaiter, statusOf } from "../waiter.ts";

/** SIGTERM → exit, at most (the app drains for up to 10 s). */
const EXIT_LIMIT_MS = 15_000;

/**
 * SIGTERM to the app while it holds ~1,000 long-waits and creates run: each
 * waiter must be answered with its request's current state before the
 * process exits, and no acknowledged create may be lost.
 */
export const sigterm: Scenario = {
  name: "sigterm",
  title: "SIGTERM to the app holding ~1,000 long-waits under creates",
  async run({ knobs: k, log, checks, figures, appEnv }) {
    appEnv(RAISED_FOR_LOAD);
    await withStack(k, { agents: k.agents }, log, async (s) => {
      const traffic = new Traffic();
      const url = s.url;
      const app = s.apps[0].process;
      const pending = await createPendingRequests(url, s.agents, k.sigtermWaiters, s.http, 50);
      const waitAgent = keepAliveAgent();
      try {
        // One long-wait each, not repeated: the answer must come from the process being stopped. Placed OPENING at a
        // time, each again after Retry-After if the app sheds it, as an agent would, until every one is held.
        const stopWaiting = new AbortController();
        const ws: PatientWaiter[] = [];
        for (const [i, p] of pending.entries()) {
          ws.push(
            patientWaiter({
              urls: [url],
              key: p.agent.key,
              requestId: p.id,
              agent: waitAgent,
              traffic,
              deadline: performance.now() + 120_000,
              firstAnswer: true,
              signal: stopWaiting.signal,
              start: i < OPENING ? undefined : ws[i - OPENING].sent,
            }),
          );
        }
        const held = await untilGauge(url, ws.length, 30_000);
        checks.that("every waiter is held before SIGTERM", held === ws.length, `countersign_waiting_agents = ${held} of ${ws.length}`);
        const load = startCreates({ urls: [url], keys: s.agents.map((a) => a.key), connections: k.connections, traffic });
        await sleep(k.phaseSeconds * 1000);

        log("  SIGTERM to the app...");
        const exited = new Promise<{ at: number; code: number | null; signal: string | null }>((resolve) =>
          app.once("exit", (code, signal) => resolve({ at: performance.now(), code, signal })),
        );
        const t0 = performance.now();
        app.kill("SIGTERM");
        const exit = await within(exited, EXIT_LIMIT_MS + 15_000);
        await load.stop();
        const answers = (await within(Promise.all(ws.map((w) => w.done)), 5_000)) ?? [];
        stopWaiting.abort();
        waitAgent.destroy();

        const exitAt = exit?.at ?? Number.POSITIVE_INFINITY;
        const answeredInTime = answers.filter((a) => a && a.at <= exitAt);
        const lastAnswer = answers.length ? Math.max(...answers.map((a) => (a ? a.at - t0 : Number.POSITIVE_INFINITY))) : Number.POSITIVE_INFINITY;
        checks.that(
          "every waiter is answered with its current state before the exit",
          answers.every((a) => a?.status === 200 && statusOf(a) === "pending") && answeredInTime.length === ws.length,
          `${JSON.stringify(outcomes(answers))}; ${answeredInTime.length} of ${ws.length} before the exit`,
        );
        checks.that(
          `the app exits cleanly within ${seconds(EXIT_LIMIT_MS)}`,
          !!exit && exit.code === 0 && exit.at - t0 <= EXIT_LIMIT_MS,
          exit ? `exit code ${exit.code}${exit.signal ? `, signal ${exit.signal}` : ""} after ${seconds(exit.at - t0)}` : "still running",
        );
        figures["SIGTERM → last waiter answered / exit"] =
          `${Number.isFinite(lastAnswer) ? seconds(lastAnswer) : "not all answered"} / ${exit ? seconds(exit.at - t0) : "no exit"}`;
        figures["creates acknowledged"] = `${load.acked.length} (${ms(load.latencies)}), ${load.acked.filter((a) => a.at > t0).length} of them after SIGTERM`;

        const missing = await s.missing(load.acked.map((a) => a.id));
        checks.that("every acknowledged create is stored", missing.length === 0, `${missing.length} of ${load.acked.length} missing`);
        const snapshot = traffic.snapshot();
        checks.traffic(snapshot, traffic.examples);
        figures["answers seen"] = describe(snapshot);
      } finally {
        waitAgent.destroy();
      }
      // The stopped app's events were chained as it stopped; a new instance verifies the chain.
      log("  starting the app again to verify the audit chain...");
      const again = await s.startApp();
      const audit = await s.verifyAudit(again.url);
      checks.that("the audit chain verifies", audit.ok, audit.detail);
    });
  },
};
