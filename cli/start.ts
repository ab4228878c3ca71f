import { env, publicUrl } from "../lib/env.ts";
import { logger } from "../lib/logger.ts";
import { isClusterWorker, superviseWorkers, workerCount } from "../lib/runtime/cluster.ts";
import { bootstrapFirstStart, type FirstStartCredentials } from "../lib/runtime/bootstrap.ts";
import { migrate } from "../lib/runtime/migrate.ts";
import { prepareRuntime } from "../lib/runtime/prepare.ts";
import { ensureBuilt, startServer } from "../lib/runtime/server.ts";

function printWelcome(c: FirstStartCredentials, url: string): void {
  const curl = [
    `curl -s -X POST ${url}/api/v1/requests \\`,
    `  -H "Authorization: Bearer ${c.agentKey}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"action":"payments.refund","resource":"customer:cus_123","params":{"amount":500,"currency":"USD"},"summary":"Refund $500 to customer cus_123"}'`,
  ].join("\n");
  console.log(
    [
      "",
      "  First start: these credentials are shown once. Keep them.",
      "",
      `  Dashboard   ${url}`,
      `  Admin       ${c.adminEmail}`,
      `  Password    ${c.adminPassword}   (one-time: you choose your own at first sign-in)`,
      "",
      `  Demo agent  ${c.agentName} (${c.agentId})`,
      `  Agent key   ${c.agentKey}`,
      "",
      "  Ask for approval as the demo agent:",
      "",
      curl.replace(/^/gm, "    "),
      "",
    ].join("\n"),
  );
}

/** On every start, a line for people among the JSON logs: where to open the dashboard. */
function printDashboard(url: string): void {
  console.log(`Dashboard ${url}`);
}

export async function runStart(opts: { dev?: boolean }): Promise<void> {
  if (isClusterWorker()) return runWorker();
  const runtime = await prepareRuntime({ create: true });
  await migrate(runtime.databaseUrl);
  const firstStart = runtime.embedded ? await bootstrapFirstStart() : null;
  if (!opts.dev) ensureBuilt();
  // The development server compiles on demand: one process.
  const workers = opts.dev ? 1 : workerCount(env().COUNTERSIGN_WORKERS);
  if (workers > 1) return runPrimary(workers, runtime, firstStart);
  const running = await startServer({ dev: opts.dev });
  const url = publicUrl();
  logger.info({ url, embedded: runtime.embedded }, "countersign started");
  if (firstStart) printWelcome(firstStart, url);
  else printDashboard(url);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    await running.close().catch((err: Error) => logger.error({ err: err.message }, "error while closing"));
    await runtime.stop().catch(() => {});
    process.exit(0);
  };
  // We own shutdown: drain the app first, then stop the database.
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/**
 * COUNTERSIGN_WORKERS > 1: this process prepared and migrated the database
 * and now only supervises; the workers serve. On SIGTERM (or SIGINT) every
 * worker drains as a single process would, then the database stops.
 */
async function runPrimary(workers: number, runtime: Awaited<ReturnType<typeof prepareRuntime>>, firstStart: FirstStartCredentials | null): Promise<void> {
  const supervisor = superviseWorkers(workers);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers }, "shutting down");
    await supervisor.stop().catch((err: Error) => logger.error({ err: err.message }, "error while stopping the workers"));
    await runtime.stop().catch(() => {});
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  try {
    await supervisor.ready;
  } catch (err) {
    stopping = true;
    await supervisor.stop().catch(() => {});
    await runtime.stop().catch(() => {});
    throw err;
  }
  const url = publicUrl();
  logger.info({ url, embedded: runtime.embedded, workers }, "countersign started");
  if (firstStart) printWelcome(firstStart, url);
  else printDashboard(url);
}

/** A worker of the cluster: the primary's environment already names the database (migrated) and the secrets. */
async function runWorker(): Promise<void> {
  const running = await startServer();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.close().catch((err: Error) => logger.error({ err: err.message }, "error while closing"));
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}
