import { publicUrl } from "../lib/env.ts";
import { logger } from "../lib/logger.ts";
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
      `  Password    ${c.adminPassword}`,
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

export async function runStart(opts: { dev?: boolean }): Promise<void> {
  const runtime = await prepareRuntime({ create: true });
  await migrate(runtime.databaseUrl);
  const firstStart = runtime.embedded ? await bootstrapFirstStart() : null;
  if (!opts.dev) ensureBuilt();
  const running = await startServer({ dev: opts.dev });
  const url = publicUrl();
  logger.info({ url, embedded: runtime.embedded }, "countersign started");
  if (firstStart) printWelcome(firstStart, url);

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
