/**
 * Countersign load-and-fault suite: `npm run soak` (after `npm run build`);
 * some scenarios only: `npm run soak -- waiters restart`. Not part of `npm
 * test`.
 *
 * Each scenario starts its own fresh embedded PostgreSQL and the production
 * build (`countersign start`) as child processes, seeds agents, reviewers and
 * an admin (with an admin API token), puts load on it, injects its fault,
 * and CHECKS what must hold; it prints figures and each check as it goes,
 * then a markdown summary, and writes soak/results/latest.json. The exit
 * code is 1 when any check failed (or a scenario could not finish), 0
 * otherwise. Bounded: fixed durations and counts, traffic to 127.0.0.1 only;
 * every app process and database is stopped even on failure or Ctrl-C.
 * Every answer the load sees is counted: any 5xx other than 503, and any
 * 429 or 503 without `Retry-After`, fails the scenario.
 *
 * Scenarios (in this order):
 *   waiters   10,000 long-waits, then 100 single suspensions and one bulk
 *             suspension by tag at once: every admin call 2xx, every waiter
 *             answered `cancelled`, the last within SOAK_KILL_SWITCH_LIMIT_MS.
 *   decide    creates at the maximum rate while reviewers approve and deny
 *             requests agents long-wait on: decision p50/p99 (p99 under
 *             SOAK_DECISION_P99_LIMIT_MS), decision → agent wake-up; a
 *             policy import and an admin-token revocation mid-load.
 *   restart   creates, waiters and decisions while PostgreSQL stops (fast
 *             shutdown) and starts again on the same folder and port: 503s
 *             with Retry-After while down, nothing acknowledged lost, every
 *             waiter answered with its decision afterwards.
 *   sigterm   SIGTERM to the app holding ~1,000 waiters under creates: every
 *             waiter answered with its current state before the exit.
 *   sigkill   two instances on one database, SIGKILL to one: the other keeps
 *             serving, nothing acknowledged lost, decisions there wake waiters.
 *   overload  one process: long-waits ramped past the process-wide cap and
 *             creates ramped in concurrency, until it sheds (429/503 with
 *             Retry-After): waiters held and creates/s at the knee, no 500,
 *             /api/health 200 throughout.
 * After each: the audit chain verifies (POST /api/v1/admin/audit/verify).
 *
 * The apps run with the defaults except what would throttle this load by
 * design (the per-agent create rate and pending cap; waits per agent where a
 * scenario parks more than 50 per agent; the process-wide wait cap where the
 * machine's open-file limit is below it); the summary says which per scenario.
 *
 * Knobs (environment):
 *   NEXT_DIST_DIR               build folder (.next)
 *   SOAK_APP_LOG_LEVEL          the apps' LOG_LEVEL (fatal: an outage logs every refused call)
 *   SOAK_ADMIN_AUTH             token | session: how the kill switch is pulled (token)
 *   SOAK_AGENTS                 agents per scenario (200)
 *   SOAK_WAITERS                long-waits in `waiters` (10000)
 *   SOAK_KILL_SWITCH_LIMIT_MS   kill switch → last waiter answered (10000)
 *   SOAK_CONNECTIONS            closed-loop create connections (50)
 *   SOAK_DECIDE_SECONDS         length of `decide` (30)
 *   SOAK_REVIEWERS              reviewer loops in `decide` (4)
 *   SOAK_DECISION_P99_LIMIT_MS  decision p99 target in `decide` (100)
 *   SOAK_PHASE_SECONDS          load before and after each fault (5)
 *   SOAK_DOWN_SECONDS           PostgreSQL down in `restart` (5)
 *   SOAK_RESTART_WAITERS        waiters across the restart (300)
 *   SOAK_SIGTERM_WAITERS        waiters held at SIGTERM (1000)
 *   SOAK_SIGKILL_WAITERS        waiters per instance in `sigkill` (200)
 *   SOAK_OVERLOAD_MAX_WAITS     COUNTERSIGN_MAX_WAITS for `overload` (default: the app's
 *                               20000, or less when the open-file limit cannot hold it)
 *   SOAK_OVERLOAD_STEP_SECONDS  length of each create step in `overload` (4)
 *   SOAK_SCENARIO_TIMEOUT_SECONDS  watchdog per scenario: a scenario still running
 *                               then fails and its apps and database are stopped (480)
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ensureFileDescriptors, fdLimits } from "../bench/harness.ts";
import { machineInfo } from "../bench/report.ts";
import { round } from "../bench/stats.ts";
import { PROJECT_ROOT } from "../lib/runtime/migrate.ts";
import { Checks, type Figures } from "./checks.ts";
import { readKnobs } from "./knobs.ts";
import { markdown, type ScenarioResult, type SoakResults, writeJson } from "./report.ts";
import { type Scenario, within } from "./scenario.ts";
import { decide } from "./scenarios/decide.ts";
import { overload } from "./scenarios/overload.ts";
import { restart } from "./scenarios/restart.ts";
import { sigkill } from "./scenarios/sigkill.ts";
import { sigterm } from "./scenarios/sigterm.ts";
import { waiters } from "./scenarios/waiters.ts";
import { current, postgresVersion } from "./stack.ts";

const SCENARIOS: Scenario[] = [waiters, decide, restart, sigterm, sigkill, overload];

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const started = performance.now();
  const names = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(", ")}; choose from ${SCENARIOS.map((s) => s.name).join(", ")}`);
  const chosen = names.length ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;
  const knobs = readKnobs();
  const fdText = ensureFileDescriptors(chosen.includes(waiters) ? knobs.waiters + 1500 : 4096, "lower SOAK_WAITERS");
  if (!existsSync(path.join(PROJECT_ROOT, knobs.distDir, "BUILD_ID"))) {
    throw new Error(`no production build in ${knobs.distDir}/: run \`npm run build\` first (or set NEXT_DIST_DIR to a built folder)`);
  }
  const machine = machineInfo("PostgreSQL (embedded)", fdText);
  log(`Countersign load-and-fault suite: ${chosen.map((s) => s.name).join(", ")}; build ${knobs.distDir}, open files ${fdText}`);

  const onSignal = (signal: NodeJS.Signals) => {
    log(`\n${signal}: stopping the apps and the databases...`);
    void Promise.all([...current].map((s) => s.close())).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const results: ScenarioResult[] = [];
  for (const scenario of chosen) {
    log(`\n## ${scenario.name}: ${scenario.title}`);
    const checks = new Checks(log);
    const figures: Figures = {};
    let appEnv = "defaults";
    const t0 = performance.now();
    let error: string | undefined;
    try {
      const run = scenario.run({ knobs, log, checks, figures, fdLimit: fdLimits().hard, appEnv: (d) => (appEnv = d) });
      run.catch(() => {});
      // A last resort against a hang the scenario's own bounds missed: its apps and database are stopped, the run goes on.
      if (
        (await within(
          run.then(() => true),
          knobs.scenarioTimeoutSeconds * 1000,
        )) === undefined
      ) {
        checks.that(`the scenario finishes within ${knobs.scenarioTimeoutSeconds} s`, false, "stopped by the watchdog; its apps and database were stopped");
        await Promise.all([...current].map((s) => s.close()));
      }
    } catch (err) {
      error = (err as Error).stack ?? String(err);
      checks.that("the scenario runs to the end", false, (err as Error).message);
      log(error);
    }
    for (const [k, v] of Object.entries(figures)) log(`  ${k}: ${v}`);
    results.push({
      name: scenario.name,
      title: scenario.title,
      seconds: round((performance.now() - t0) / 1000, 0),
      appEnv,
      figures,
      checks: checks.list,
      error,
    });
  }

  const all = results.flatMap((r) => r.checks);
  const soak: SoakResults = {
    machine: { ...machine, postgres: postgresVersion() },
    command: `npm run soak${names.length ? ` -- ${names.join(" ")}` : ""}`,
    knobs: { ...knobs },
    scenarios: results,
    passed: all.filter((c) => c.ok).length,
    failed: all.filter((c) => !c.ok).length,
    durationSeconds: round((performance.now() - started) / 1000, 0),
  };
  const file = writeJson(soak, PROJECT_ROOT);
  log(`\n## Load and fault summary\n\n${markdown(soak)}\n\nApp settings beyond the defaults: ${results.map((r) => `${r.name}: ${r.appEnv}`).join("; ")}.`);
  log(`JSON: ${path.relative(PROJECT_ROOT, file)}`);
  if (soak.failed)
    log(
      `\nFAILED: ${all.filter((c) => !c.ok).length} checks (${results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.name}: ${c.name}`)).join("; ")})`,
    );
  return soak.failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`soak failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
