import type { TestProject } from "vitest/node";
import { createScratchTemplate } from "./scratch-database.ts";
import { LOCAL_RECEIVERS_ENV, startTestApp, startTestDatabase, TEST_AUTH_SECRET } from "./test-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    databaseUrl: string;
    authSecret: string;
  }
}

/** One real PostgreSQL and one real app process for the whole integration run. */
export default async function setup(project: TestProject) {
  const database = await startTestDatabase();
  let app: Awaited<ReturnType<typeof startTestApp>>;
  try {
    // Before the app connects: scratch databases are copies of the freshly migrated one.
    await createScratchTemplate(database.url);
    // Webhook, callback, SIEM and email tests deliver to receivers on 127.0.0.1.
    // Suites create dozens of requests at once, several suites at a time, on one app: the overload limits
    // (checked with their defaults' behaviour by test/api/overload.test.ts on an app of its own) are raised here.
    app = await startTestApp(database.url, { ...LOCAL_RECEIVERS_ENV, COUNTERSIGN_MAX_INFLIGHT: "10000", COUNTERSIGN_MAX_INFLIGHT_PER_AGENT: "10000" });
  } catch (err) {
    // A failed start must not leave PostgreSQL running behind the failed run.
    await database.stop();
    throw err;
  }
  project.provide("baseUrl", app.url);
  project.provide("databaseUrl", database.url);
  project.provide("authSecret", TEST_AUTH_SECRET);
  return async () => {
    await app.stop();
    await database.stop();
  };
}
