import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "../lib/runtime/embedded-postgres.ts";
import { migrate } from "../lib/runtime/migrate.ts";
import { freePort } from "../test/support/test-server.ts";

/**
 * A fresh, migrated embedded PostgreSQL in a temporary folder that can be
 * stopped and started again on the same data folder and port, as a real
 * server restart (test/support/test-server.ts's database removes its folder
 * when stopped).
 */
export interface SoakDatabase {
  url: string;
  dataDir: string;
  port: number;
  /** Fast shutdown (SIGINT to the postmaster: sessions are cut, committed work is kept); the data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same folder and port. */
  start(): Promise<void>;
  /** Stops it if running and removes the folder. */
  remove(): Promise<void>;
}

export async function startSoakDatabase(): Promise<SoakDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "countersign-soak-"));
  const port = await freePort();
  let server: EmbeddedDatabase | undefined = await startEmbeddedPostgres({ dataDir, port, create: true });
  const url = server.url;
  await migrate(url);
  return {
    url,
    dataDir,
    port,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      if (!server) server = await startEmbeddedPostgres({ dataDir, port, create: false });
    },
    async remove() {
      await server?.stop();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
