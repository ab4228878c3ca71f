import { AppError } from "../lib/errors.ts";

/**
 * Runs a command against the app's existing database (joining the embedded
 * one if the app is running, starting it for the command if not). It creates
 * nothing and migrates nothing: a missing or un-migrated database is an error.
 */
export async function withDatabase<T>(work: () => Promise<T>): Promise<T> {
  const { prepareRuntime } = await import("../lib/runtime/prepare.ts");
  const { assertMigrated } = await import("../lib/runtime/migrate.ts");
  const runtime = await prepareRuntime({ create: false });
  try {
    await assertMigrated(runtime.databaseUrl, runtime.where);
    return await work();
  } finally {
    const [{ closeHub }, { disconnectDb }] = await Promise.all([import("../lib/events/hub.ts"), import("../lib/db.ts")]);
    await closeHub();
    await disconnectDb();
    await runtime.stop();
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/**
 * Every command's errors end here: one line on stderr (plus one per field for
 * invalid options), no stack trace unless LOG_LEVEL is debug or trace, and
 * exit 3 for a conflict, 1 otherwise.
 */
export function fail(err: unknown): never {
  if (err instanceof AppError && err.errors?.length) {
    // The message already names the first field; list every field once, below it.
    console.error(`error: ${err.message.split(": ")[0]}`);
    for (const e of err.errors) console.error(`  ${e.path}: ${e.message}`);
  } else {
    const message = err instanceof Error ? err.message || err.name : String(err ?? "unknown error");
    console.error(`error: ${message.split("\n")[0]}`);
    const rest = message.split("\n").slice(1).join("\n").trimEnd();
    if (rest.trim()) console.error(rest.replace(/^/gm, "  "));
  }
  if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? "") && err instanceof Error) console.error(err.stack);
  process.exit(err instanceof AppError && err.code === "conflict" ? 3 : 1);
}

export const collect = (value: string, previous: string[]) => [...previous, value];
