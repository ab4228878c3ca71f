import "server-only";
import cluster, { type Worker } from "node:cluster";
import os from "node:os";
import { logger } from "../logger.ts";

/**
 * `COUNTERSIGN_WORKERS`: how many app processes `countersign start` runs.
 * A number, or `auto` for one per CPU the process may use.
 */
export function workerCount(setting: number | "auto"): number {
  return setting === "auto" ? os.availableParallelism() : setting;
}

/** True in a process the primary forked: it serves, and leaves the database and migrations to the primary. */
export const isClusterWorker = (): boolean => cluster.isWorker;

export interface Supervisor {
  /** Resolves once every worker listens (or rejects when one exits before it does). */
  ready: Promise<void>;
  /** SIGTERM to every worker, then waits for them (SIGKILL after `graceMs`); no restarts from then on. */
  stop(graceMs?: number): Promise<void>;
}

/** A worker that exits this soon after it was forked counts as a crash at start: restarts back off. */
const EARLY_EXIT_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Runs `count` workers (node:cluster; each is a full app instance: server,
 * sweeps, delivery workers) sharing the listening port, and supervises them:
 * a worker that exits while the cluster runs is replaced, after a delay that
 * doubles while replacements keep dying at start (1 s up to 30 s).
 * Several instances on one database are already safe (LISTEN hub, advisory
 * locks, SKIP LOCKED workers); per-instance limits (long-waits, rate limits,
 * event streams) apply per worker.
 */
export function superviseWorkers(count: number): Supervisor {
  let stopping = false;
  let failures = 0;
  const workers = new Set<Worker>();
  let listening = 0;
  let markReady!: () => void;
  let failReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  let started = false;
  ready.then(
    () => (started = true),
    () => {},
  );

  const fork = () => {
    const forkedAt = Date.now();
    const worker = cluster.fork();
    workers.add(worker);
    worker.once("listening", () => {
      if (!started && ++listening === count) markReady();
    });
    worker.once("exit", (code, signal) => {
      workers.delete(worker);
      if (stopping) return;
      if (!started) {
        failReady(new Error(`worker ${worker.process.pid} exited with ${signal ?? `code ${code}`} before it listened`));
        return;
      }
      failures = Date.now() - forkedAt < EARLY_EXIT_MS ? failures + 1 : 0;
      const delay = failures === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1));
      logger.error({ pid: worker.process.pid, code, signal, restartInMs: delay }, "worker exited; starting a replacement");
      setTimeout(() => {
        if (!stopping) fork();
      }, delay).unref();
    });
  };
  for (let i = 0; i < count; i++) fork();

  return {
    ready,
    async stop(graceMs = 30_000) {
      stopping = true;
      const exits = [...workers].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once("exit", () => resolve()))));
      for (const w of workers) if (!w.isDead()) w.process.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
      const hung = await Promise.race([Promise.all(exits).then(() => false), timedOut]);
      clearTimeout(timer);
      if (hung) {
        for (const w of workers) {
          if (w.isDead()) continue;
          logger.error({ pid: w.process.pid }, "worker did not drain in time; killing it");
          w.process.kill("SIGKILL");
        }
        await Promise.all(exits);
      }
    },
  };
}
