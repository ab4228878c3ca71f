import { envInt } from "../bench/harness.ts";

/** Sizes and durations, from the environment (documented at the top of soak/run.ts). */
export interface Knobs {
  distDir: string;
  appLogLevel: string;
  /** `token` (an admin API token, as an incident script) or `session` (the admin's browser session) for the kill switch. */
  adminAuth: "token" | "session";
  agents: number;
  waiters: number;
  killSwitchLimitMs: number;
  connections: number;
  decideSeconds: number;
  reviewers: number;
  decisionP99LimitMs: number;
  phaseSeconds: number;
  downSeconds: number;
  restartWaiters: number;
  sigtermWaiters: number;
  sigkillWaiters: number;
  overloadMaxWaits: number | null;
  overloadStepSeconds: number;
  scenarioTimeoutSeconds: number;
}

export function readKnobs(): Knobs {
  const auth = process.env.SOAK_ADMIN_AUTH ?? "token";
  if (auth !== "token" && auth !== "session") throw new Error("SOAK_ADMIN_AUTH is `token` or `session`");
  return {
    distDir: process.env.NEXT_DIST_DIR || ".next",
    appLogLevel: process.env.SOAK_APP_LOG_LEVEL || "fatal",
    adminAuth: auth,
    agents: envInt("SOAK_AGENTS", 200),
    waiters: envInt("SOAK_WAITERS", 10_000),
    killSwitchLimitMs: envInt("SOAK_KILL_SWITCH_LIMIT_MS", 10_000),
    connections: envInt("SOAK_CONNECTIONS", 50),
    decideSeconds: envInt("SOAK_DECIDE_SECONDS", 30),
    reviewers: envInt("SOAK_REVIEWERS", 4),
    decisionP99LimitMs: envInt("SOAK_DECISION_P99_LIMIT_MS", 100),
    phaseSeconds: envInt("SOAK_PHASE_SECONDS", 5),
    downSeconds: envInt("SOAK_DOWN_SECONDS", 5),
    restartWaiters: envInt("SOAK_RESTART_WAITERS", 300),
    sigtermWaiters: envInt("SOAK_SIGTERM_WAITERS", 1000),
    sigkillWaiters: envInt("SOAK_SIGKILL_WAITERS", 200),
    overloadMaxWaits: process.env.SOAK_OVERLOAD_MAX_WAITS ? envInt("SOAK_OVERLOAD_MAX_WAITS", 0) : null,
    overloadStepSeconds: envInt("SOAK_OVERLOAD_STEP_SECONDS", 4),
    scenarioTimeoutSeconds: envInt("SOAK_SCENARIO_TIMEOUT_SECONDS", 480),
  };
}
