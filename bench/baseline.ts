import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { PROJECT_ROOT } from "../lib/runtime/migrate.ts";

export interface BaselineServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts bench/baseline-server.ts in its own process (so it does not share the load generator's CPU). */
export async function startBaseline(databaseUrl: string, poolSize: number): Promise<BaselineServer> {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "bin", "run-ts.mjs"), path.join(PROJECT_ROOT, "bench", "baseline-server.ts")], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NODE_ENV: "production", BASELINE_DATABASE_URL: databaseUrl, BASELINE_POOL_SIZE: String(poolSize) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error("the baseline server did not start within 30 s")), 30_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const m = /LISTENING (\d+)/.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the baseline server exited with code ${code}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
