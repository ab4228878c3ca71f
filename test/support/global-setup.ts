import type { TestProject } from "vitest/node";
import { createScratchTemplate } from "./scratch-database.ts";
import { LOCAL_RECEIVERS_ENV, startTestApp, startTestDatabase, TEST_AUTH_SECRET, TEST_RUN_LIMITS } from "./test-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    databaseUrl: string;
    authSecret: string;
  }
}

// Every app a test starts, here or in a test file, inherits these (see TEST_RUN_LIMITS).
Object.assign(process.env, TEST_RUN_LIMITS);

/** One real PostgreSQL and one real app process for the whole integration run. */
export default async function setup(project: TestProject) {
  const database = await startTestDatabase();
  let app: Awaited<ReturnType<typeof startTestApp>>;
  try {
    // Before the app connects: scratch databases are copies of the freshly migrated one.
    await createScratchTemplate(database.url);
    // Webhook, callback, SIEM and email tests deliver to receivers on 127.0.0.1.
    app = await startTestApp(database.url, LOCAL_RECEIVERS_ENV);
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
