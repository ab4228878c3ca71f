import { performance } from "node:perf_hooks";
import { keepAliveAgent } from "../../bench/http.ts";
import { createPendingRequests } from "../../bench/setup.ts";
import { mapLimit, sleep } from "../../bench/stats.ts";
import { startCreates } from "../load.ts";
import { decideUntilAnswered, ms, type Scenario, untilGauge, within } from "../scenario.ts";
import { RAISED_FOR_LOAD, withStack } from "../stack.ts";
import { count, describe, Traffic } from "../traffic.ts";
import { outcomes, patientWaiter, statusOf, wrongOnes } from "../waiter.ts";

/**
 * Two app instances on one database with the load spread over both; one is
 * killed (SIGKILL). The other must keep serving, nothing acknowledged may be
 * lost, and decisions made on the survivor must wake the waiters there,
 * including those that were waiting on the killed instance and asked the
 * survivor next, as a client behind a load balancer does.
 */
export const sigkill: Scenario = {
  name: "sigkill",
  title: "SIGKILL to one of two instances under load",
  async run({ knobs: k, log, checks, figures, appEnv }) {
    appEnv(RAISED_FOR_LOAD);
    await withStack(k, { agents: k.agents, apps: 2 }, log, async (s) => {
      const traffic = new Traffic();
      const [victim, survivor] = s.apps;
      const [a, b] = [victim.url, survivor.url];
      const pending = await createPendingRequests(b, s.agents, k.sigkillWaiters * 2, s.http, 50);
      const waitAgent = keepAliveAgent();
      const stopWaiting = new AbortController();
      const deadline = performance.now() + 300_000;
      // Even ones wait on the victim (then the survivor), odd ones on the survivor.
      const ws = pending.map((p, i) =>
        patientWaiter({
          urls: i % 2 === 0 ? [a, b] : [b, a],
          key: p.agent.key,
          requestId: p.id,
          agent: waitAgent,
          traffic,
          deadline,
          signal: stopWaiting.signal,
        }),
      );
      try {
        const held = [await untilGauge(a, k.sigkillWaiters, 30_000), await untilGauge(b, k.sigkillWaiters, 30_000)];
        checks.that(
          "each instance holds its waiters",
          held[0] === k.sigkillWaiters && held[1] === k.sigkillWaiters,
          `countersign_waiting_agents ${held.join(" and ")} of ${k.sigkillWaiters} each`,
        );
        const load = startCreates({ urls: [a, b], keys: s.agents.map((x) => x.key), connections: k.connections, traffic });
        await sleep(k.phaseSeconds * 1000);

        log("  SIGKILL to one instance...");
        const exited = new Promise<void>((resolve) => victim.process.once("exit", () => resolve()));
        victim.process.kill("SIGKILL");
        await exited;
        const killedAt = performance.now();
        const survivorBefore = load.acked.filter((x) => x.url === b && x.at < killedAt).length;
        await sleep(k.phaseSeconds * 1000);
        const survivorAfter = load.acked.filter((x) => x.url === b && x.at > killedAt).length;
        const beforeSeconds = k.phaseSeconds;
        checks.that(
          "the surviving instance keeps acknowledging creates",
          survivorAfter > 0,
          `${Math.round(survivorBefore / beforeSeconds)}/s before the kill, ${Math.round(survivorAfter / k.phaseSeconds)}/s after`,
        );

        // Every request decided on the survivor, with the load still running.
        log("  deciding every waited request on the survivor...");
        const decideBy = performance.now() + 60_000;
        const decided = await mapLimit(pending, 10, (p) => decideUntilAnswered(traffic, s.http, b, s.reviewers[0].cookie, p.id, decideBy));
        await load.stop();
        const answers = (await within(Promise.all(ws.map((w) => w.done)), 30_000)) ?? [];
        stopWaiting.abort();
        waitAgent.destroy();
        const final = await Promise.all(ws.map((w) => w.done));
        checks.that(
          "every decision on the survivor succeeds",
          decided.every((r) => r.decided),
          `${decided.filter((r) => r.decided).length} of ${decided.length} decided${decided.some((r) => !r.decided) ? `; e.g. ${decided.find((r) => !r.decided)?.answer?.body.slice(0, 200) ?? "no answer"}` : ""}`,
        );
        // People's calls are not shed, and the database is up: a 503 here is a decision that could not get a connection in time.
        const refusedDecisions = count(traffic.snapshot(), "decide", "503", "429");
        checks.that("no decision on the survivor is refused (429/503)", refusedDecisions === 0, `${refusedDecisions} refused, then retried after Retry-After`);
        const stored = await s.statuses(pending.map((p) => p.id));
        const isApproved = (x: (typeof final)[number]) => x?.status === 200 && statusOf(x) === "approved";
        const why = (i: number) => ` (decision ${decided[i].answer?.status ?? "no answer"}, stored ${stored.get(pending[i].id)})`;
        const onSurvivor = final.filter((_, i) => i % 2 === 1);
        const movedOver = final.filter((_, i) => i % 2 === 0);
        const approved = (xs: typeof final) => xs.filter(isApproved).length;
        checks.that(
          "waiters on the survivor get the decision",
          approved(onSurvivor) === onSurvivor.length && answers.length === ws.length,
          `${JSON.stringify(outcomes(onSurvivor))}${wrongOnes(ws, final, (x, i) => i % 2 === 0 || isApproved(x), why)}`,
        );
        checks.that(
          "waiters of the killed instance get it from the survivor",
          approved(movedOver) === movedOver.length,
          `${JSON.stringify(outcomes(movedOver))}; ${ws.filter((_, i) => i % 2 === 0).reduce((n, w) => n + w.failures, 0)} calls without answer before moving${wrongOnes(ws, final, (x, i) => i % 2 === 1 || isApproved(x), why)}`,
        );
        const missing = await s.missing(load.acked.map((x) => x.id));
        checks.that(
          "every acknowledged create is stored",
          missing.length === 0,
          `${missing.length} of ${load.acked.length} missing (${load.acked.filter((x) => x.url === a).length} acknowledged by the killed instance)`,
        );
        const snapshot = traffic.snapshot();
        checks.traffic(snapshot, traffic.examples);
        figures["creates acknowledged"] = `${load.acked.length} (${ms(load.latencies)})`;
        figures["survivor creates/s before → after the kill"] = `${Math.round(survivorBefore / beforeSeconds)} → ${Math.round(survivorAfter / k.phaseSeconds)}`;
        figures["answers seen"] = describe(snapshot);
      } finally {
        stopWaiting.abort();
        waitAgent.destroy();
      }
      const audit = await s.verifyAudit(b);
      checks.that("the audit chain verifies", audit.ok, audit.detail);
    });
  },
};
