// The real app on a fresh embedded PostgreSQL with seeded agents: what the
// throughput benchmarks run against, started and stopped the same way.
import { disconnectDb } from "../lib/db.ts";
import { resetEnv } from "../lib/env.ts";
import { closeHub } from "../lib/events/hub.ts";
import { startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { cpuTicks, postgresCpuTicks } from "./proc.ts";
import { seed } from "./setup.ts";
import { stopBounded } from "./stop.ts";

/** CPU time used so far (user + system, ms) by the app process and by PostgreSQL (the postmaster and its backends). */
export interface CpuMs {
  app: number;
  db: number;
}

// Linux reports process CPU time in clock ticks of 10 ms (USER_HZ 100).
const TICK_MS = 10;

/**
 * Starts a database, seeds `agents` agents, starts the built app
 * (NEXT_DIST_DIR, default `.next`) with `env` added, runs `body`, then stops
 * everything whatever happened. `beforeApp` runs after seeding, before the
 * app starts (e.g. to insert history it should read).
 */
export async function withSeededApp<T>(
  o: { agents: number; env?: Record<string, string>; log: (line: string) => void; beforeApp?: () => Promise<void> },
  body: (ctx: { app: TestApp; agents: Awaited<ReturnType<typeof seed>>["agents"]; cpuMs: () => CpuMs }) => Promise<T>,
): Promise<T> {
  let database: TestDatabase | undefined;
  let app: TestApp | undefined;
  try {
    database = await startTestDatabase();
    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    resetEnv();
    const { agents } = await seed(o.agents);
    await o.beforeApp?.();
    app = await startTestApp(database.url, { NEXT_DIST_DIR: process.env.NEXT_DIST_DIR || ".next", ...o.env });
    const appPid = app.process.pid!;
    const { dataDir } = database;
    const cpuMs = (): CpuMs => ({ app: cpuTicks(appPid) * TICK_MS, db: postgresCpuTicks(dataDir) * TICK_MS });
    return await body({ app, agents, cpuMs });
  } finally {
    await closeHub().catch(() => {});
    if (app) await stopBounded(app, o.log);
    await disconnectDb().catch(() => {});
    await database?.stop().catch(() => {});
  }
}
