import { createWriteStream, readFileSync } from "node:fs";
import { once } from "node:events";
import type { Command } from "commander";
import type { z } from "zod";
import { AppError } from "../lib/errors.ts";
import { withDatabase } from "./support.ts";
import type { CheckpointRow } from "../lib/audit/checkpoints.ts";
import type { ExportFormat } from "../lib/audit/query-events.ts";

/** Validates options with the API's schema, naming fields as options (`--since`). */
async function parseOptions<S extends z.ZodType>(schema: S, options: Record<string, unknown>): Promise<z.infer<S>> {
  const { parseWith } = await import("../lib/http/body.ts");
  try {
    return parseWith(schema, Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)));
  } catch (err) {
    if (err instanceof AppError && err.errors)
      throw new AppError(err.code, "invalid options", { errors: err.errors.map((e) => ({ ...e, path: `--${e.path}` })) });
    throw err;
  }
}

/** Writes chunks to a file (or stdout), waiting for the stream to drain so memory stays flat. */
async function writeAll(chunks: AsyncIterable<string>, output?: string): Promise<number> {
  const out = output ? createWriteStream(output) : process.stdout;
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, "drain");
  }
  if (output)
    await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
  return bytes;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command("audit").description("the tamper-evident audit log");
  audit
    .command("verify")
    .description(
      "recompute the hash chain (streamed) and check it against the signed checkpoints; exit 0 when intact, 2 when broken, 1 when there is nothing to verify",
    )
    .option("--json", "print JSON")
    .option("--checkpoints <file>", "also check against checkpoints kept elsewhere (JSON lines from `audit checkpoints`)")
    .action(async (o: { json?: boolean; checkpoints?: string }) => {
      const { parseCheckpointLines } = await import("../lib/audit/checkpoints.ts");
      const extra: CheckpointRow[] = o.checkpoints ? parseCheckpointLines(readFileSync(o.checkpoints, "utf8")) : [];
      const { sqlChainSource, verificationObject, verifyChain, withExtraCheckpoints } = await import("../lib/audit/verify-chain.ts");
      const { awaitSealed } = await import("../lib/audit/sealer.ts");
      // Everything committed so far is chained first (here, when no app instance is sealing).
      const result = await withDatabase(async () => {
        await awaitSealed();
        return verifyChain({ source: withExtraCheckpoints(sqlChainSource(), extra) });
      });
      // An empty chain proves nothing: it is also what a wrong or wiped database looks like.
      if (result.ok && result.events === 0) throw new Error("the audit chain has no events: nothing to verify (is this the right database?)");
      if (o.json) console.log(JSON.stringify(verificationObject(result)));
      else if (result.ok) {
        console.log(
          `audit chain intact up to event ${result.headSeq}: ${result.events} events, head ${result.headHash.slice(0, 16)}…, ${result.checkpoints} signed checkpoints matched`,
        );
      } else console.error(`audit chain BROKEN at event ${result.brokenAt} (${result.kind}): ${result.reason} (${result.events} events verified before it)`);
      process.exit(result.ok ? 0 : 2);
    });

  audit
    .command("export")
    .description("stream events of a time range (since inclusive, until exclusive) as JSON lines or CSV")
    .option("--since <time>", "RFC 3339, inclusive")
    .option("--until <time>", "RFC 3339, exclusive")
    .option("--format <format>", "jsonl | csv", "jsonl")
    .option("--type <type>", "an event type, or a prefix like request.*")
    .option("--actor <actor>", "an actor kind (agent, user, system, policy) or one actor")
    .option("--request <id>", "only this request's events")
    .option("--agent <id>", "only this agent's events")
    .option("--output <file>", "write to a file instead of stdout")
    .action(async (o: { since?: string; until?: string; format: string; type?: string; actor?: string; request?: string; agent?: string; output?: string }) => {
      const { output, ...query } = o;
      const { AuditExportQuery } = await import("../lib/schemas/audit.ts");
      const q = await parseOptions(AuditExportQuery, query);
      const { eventFilter, exportLines } = await import("../lib/audit/query-events.ts");
      const { awaitSealed } = await import("../lib/audit/sealer.ts");
      const bytes = await withDatabase(async () => {
        await awaitSealed();
        return writeAll(exportLines(eventFilter(q), q.format as ExportFormat), output);
      });
      if (output) console.error(`wrote ${bytes} bytes to ${output}`);
    });

  audit
    .command("checkpoint")
    .description("sign the current chain head now and record it as a checkpoint")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const { checkpointObject, createCheckpoint } = await import("../lib/audit/checkpoints.ts");
      const r = await withDatabase(() => createCheckpoint());
      if (o.json) console.log(JSON.stringify({ checkpoint: r.checkpoint && checkpointObject(r.checkpoint), created: r.created }));
      else if (!r.checkpoint) console.log("the audit chain is empty: nothing to checkpoint");
      else
        console.log(
          `${r.created ? "checkpoint created" : "already checkpointed"} at event ${r.checkpoint.seq}, head ${r.checkpoint.headHash.slice(0, 16)}… (key ${r.checkpoint.kid})`,
        );
    });

  audit
    .command("checkpoints")
    .description("export every signed checkpoint as JSON lines (verify them with /.well-known/jwks.json)")
    .option("--output <file>", "write to a file instead of stdout")
    .action(async (o: { output?: string }) => {
      const { allCheckpoints, checkpointObject } = await import("../lib/audit/checkpoints.ts");
      await withDatabase(() =>
        writeAll(
          (async function* () {
            for await (const c of allCheckpoints()) yield `${JSON.stringify(checkpointObject(c))}\n`;
          })(),
          o.output,
        ),
      );
    });

  const retention = audit
    .command("retention")
    .description("show or set how long audit events are kept (nothing is deleted unless set)")
    .option("--days <days>", "keep events this many days; older ones are deleted from the start of the chain when applied")
    .option("--off", "keep everything (remove the policy)")
    .action(async (o: { days?: string; off?: boolean }) => {
      if (o.days !== undefined && o.off) throw new Error("give either --days or --off");
      const days = o.days === undefined ? undefined : Number(o.days);
      if (days !== undefined && !(Number.isInteger(days) && days >= 1)) throw new Error("--days must be a whole number of days, at least 1");
      const { getRetention, setRetention } = await import("../lib/audit/retention.ts");
      const policy = await withDatabase(async () => {
        if (days !== undefined) await setRetention(days, "cli");
        else if (o.off) await setRetention(null, "cli");
        return getRetention();
      });
      console.log(policy ? `audit events are kept ${policy.days} days` : "audit events are kept forever (no retention policy)");
    });
  retention
    .command("apply")
    .description("delete events older than the policy now, recording the deletion in the chain (the app also does this with each checkpoint)")
    .action(async () => {
      const { applyRetention } = await import("../lib/audit/retention.ts");
      const r = await withDatabase(() => applyRetention("cli"));
      console.log(r.deleted ? `deleted events ${r.fromSeq} to ${r.throughSeq} (${r.deleted}); the deletion is recorded in the chain` : "nothing to delete");
    });
}
