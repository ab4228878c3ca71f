// The real app on a fresh embedded PostgreSQL with seeded agents: what the
// throughput benchmarks run against, started and stopped the same way.
import { disconnectDb } from "../lib/db.ts";
import { resetEnv } from "../lib/env.ts";
import { closeHub } from "../lib/events/hub.ts";
import { startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { seed } from "./setup.ts";
import { stopBounded } from "./stop.ts";

/**
 * Starts a database, seeds `agents` agents, starts the built app
 * (NEXT_DIST_DIR, default `.next`) with `env` added, runs `body`, then stops
 * everything whatever happened. `beforeApp` runs after seeding, before the
 * app starts (e.g. to insert history it should read).
 */
export async function withSeededApp<T>(
  o: { agents: number; env?: Record<string, string>; log: (line: string) => void; beforeApp?: () => Promise<void> },
  body: (ctx: { app: TestApp; agents: Awaited<ReturnType<typeof seed>>["agents"] }) => Promise<T>,
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
    return await body({ app, agents });
  } finally {
    await closeHub().catch(() => {});
    if (app) await stopBounded(app, o.log);
    await disconnectDb().catch(() => {});
    await database?.stop().catch(() => {});
  }
}
