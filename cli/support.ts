import { closeHub } from "../lib/events/hub.ts";
import { disconnectDb } from "../lib/db.ts";
import { AppError } from "../lib/errors.ts";
import { migrate } from "../lib/runtime/migrate.ts";
import { prepareRuntime } from "../lib/runtime/prepare.ts";

/** Runs a command against the app's database (joining the embedded one if the app is running). */
export async function withDatabase<T>(work: () => Promise<T>): Promise<T> {
  const runtime = await prepareRuntime();
  try {
    await migrate(runtime.databaseUrl);
    return await work();
  } finally {
    await closeHub();
    await disconnectDb();
    await runtime.stop();
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Prints the error (and each field error) and exits: 3 for a conflict, 1 otherwise. */
export function fail(err: unknown): never {
  if (err instanceof AppError && err.errors?.length) {
    // The message already names the first field; list every field once, below it.
    console.error(`error: ${err.message.split(": ")[0]}`);
    for (const e of err.errors) console.error(`  ${e.path}: ${e.message}`);
  } else console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof AppError && err.code === "conflict" ? 3 : 1);
}

export const collect = (value: string, previous: string[]) => [...previous, value];
