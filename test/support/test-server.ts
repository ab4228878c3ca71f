import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../../lib/runtime/embedded-postgres.ts";
import { migrate, PROJECT_ROOT } from "../../lib/runtime/migrate.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface TestDatabase {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** A fresh embedded PostgreSQL in a temporary folder, migrated. */
export async function startTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "countersign-test-"));
  const db = await startEmbeddedPostgres({ dataDir, port: await freePort(), create: true });
  await migrate(db.url);
  return {
    url: db.url,
    dataDir,
    stop: async () => {
      await db.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestApp {
  url: string;
  process: ChildProcess;
  /** Sends SIGTERM and waits for a clean exit. */
  stop(): Promise<void>;
}

export const TEST_AUTH_SECRET = randomBytes(32).toString("base64url");

/**
 * The test receivers (webhooks, callbacks, SIEM, SMTP) listen on 127.0.0.1:
 * suites that deliver to them allow plain http and private destinations
 * explicitly; the defaults refuse both.
 */
export const LOCAL_RECEIVERS_ENV = {
  COUNTERSIGN_ALLOW_HTTP_WEBHOOKS: "true",
  COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE: "true",
  COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS: "true",
} as const;

/**
 * What the test runs raise on every app they start (through the environment
 * children inherit): suites create dozens of requests at once, several
 * suites at a time, on a loaded machine, so the overload limits (the defaults
 * are checked by test/api/overload.test.ts and lib/limits/*.unit.test.ts,
 * and measured by `npm run soak`) would shed their calls. Benchmarks keep
 * the defaults.
 */
export const TEST_RUN_LIMITS = {
  COUNTERSIGN_MAX_INFLIGHT: "10000",
  COUNTERSIGN_MAX_INFLIGHT_PER_AGENT: "10000",
  COUNTERSIGN_MAX_EVENT_LOOP_DELAY_MS: "0",
} as const;

/**
 * Starts the real app (production build, `countersign start`) as a child
 * process on a free port, against `databaseUrl`, and waits until it is healthy.
 */
export async function startTestApp(databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<TestApp> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "bin", "countersign.mjs"), "start"], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: databaseUrl,
      AUTH_SECRET: process.env.AUTH_SECRET ?? TEST_AUTH_SECRET,
      PORT: String(port),
      HOST: "127.0.0.1",
      COUNTERSIGN_PUBLIC_URL: url,
      COUNTERSIGN_SIGNIN_ATTEMPTS_PER_15MIN: "20",
      // Suites share one app and one source address; test/api/abuse-limits.test.ts checks the real limits.
      COUNTERSIGN_SIGNIN_FAILURES_PER_ADDRESS_15MIN: "1000",
      COUNTERSIGN_REDEEM_REFUSALS_PER_GRANT_MINUTE: "1000",
      COUNTERSIGN_REDEEM_REFUSALS_PER_ADDRESS_MINUTE: "100000",
      LOG_LEVEL: process.env.TEST_APP_LOG_LEVEL ?? "warn",
      ...extraEnv,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode} before becoming healthy`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("the app did not become healthy within 120 s");
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
