import { spawn } from "node:child_process";
import path from "node:path";
import { PROJECT_ROOT } from "../../lib/runtime/migrate.ts";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `countersign` command as a child process with this environment; answers its exit code and output. */
export function runCli(args: string[], env: Record<string, string | undefined> = process.env): Promise<CliResult> {
  const childEnv: Record<string, string | undefined> = { LOG_LEVEL: "warn", ...env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "bin", "countersign.mjs"), ...args], {
      cwd: PROJECT_ROOT,
      env: childEnv as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
