import { createWriteStream, readFileSync } from "node:fs";
import { once } from "node:events";
import type { Command } from "commander";
import type { z } from "zod";
import { AppError } from "../lib/errors.ts";
import { fail, withDatabase } from "./support.ts";
import { allCheckpoints, checkpointObject, createCheckpoint, parseCheckpointLines, type CheckpointRow } from "../lib/audit/checkpoints.ts";
import { exportLines, type ExportFormat } from "../lib/audit/query-events.ts";
import { applyRetention, getRetention, setRetention } from "../lib/audit/retention.ts";
import { sqlChainSource, verificationObject, verifyChain, withExtraCheckpoints } from "../lib/audit/verify-chain.ts";
import { parseWith } from "../lib/http/body.ts";
import { AuditExportQuery } from "../lib/schemas/audit.ts";

/** Validates options with the API's schema, naming fields as options (`--since`). */
function parseOptions<S extends z.ZodType>(schema: S, options: Record<string, unknown>): z.infer<S> {
  try {
    return parseWith(schema, Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)));
  } catch (err) {
    if (err instanceof AppError && err.errors) throw new AppError(err.code, "invalid options", { errors: err.errors.map((e) => ({ ...e, path: `--${e.path}` })) });
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
  if (output) await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
  return bytes;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command("audit").description("the tamper-evident audit log");
  audit
    .command("verify")
    .description("recompute the hash chain (streamed) and check it against the signed checkpoints; exit 0 when intact")
    .option("--json", "print JSON")
    .option("--checkpoints <file>", "also check against checkpoints kept elsewhere (JSON lines from `audit checkpoints`)")
    .action(async (o: { json?: boolean; checkpoints?: string }) => {
      let extra: CheckpointRow[] = [];
      try {
        if (o.checkpoints) extra = parseCheckpointLines(readFileSync(o.checkpoints, "utf8"));
      } catch (err) {
        fail(err);
      }
      const result = await withDatabase(() => verifyChain({ source: withExtraCheckpoints(sqlChainSource(), extra) }));
      if (o.json) console.log(JSON.stringify(verificationObject(result)));
      else if (result.ok) {
        console.log(`audit chain intact up to event ${result.headSeq}: ${result.events} events, head ${result.headHash.slice(0, 16)}…, ${result.checkpoints} signed checkpoints matched`);
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
      try {
        const { output, ...query } = o;
        const q = parseOptions(AuditExportQuery, query);
        const filter = { since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined, actor: q.actor, type: q.type, requestId: q.request, agentId: q.agent };
        const bytes = await withDatabase(() => writeAll(exportLines(filter, q.format as ExportFormat), output));
        if (output) console.error(`wrote ${bytes} bytes to ${output}`);
      } catch (err) {
        fail(err);
      }
    });

  audit
    .command("checkpoint")
    .description("sign the current chain head now and record it as a checkpoint")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      try {
        const r = await withDatabase(() => createCheckpoint());
        if (o.json) console.log(JSON.stringify({ checkpoint: r.checkpoint && checkpointObject(r.checkpoint), created: r.created }));
        else if (!r.checkpoint) console.log("the audit chain is empty: nothing to checkpoint");
        else console.log(`${r.created ? "checkpoint created" : "already checkpointed"} at event ${r.checkpoint.seq}, head ${r.checkpoint.headHash.slice(0, 16)}… (key ${r.checkpoint.kid})`);
      } catch (err) {
        fail(err);
      }
    });

  audit
    .command("checkpoints")
    .description("export every signed checkpoint as JSON lines (verify them with /.well-known/jwks.json)")
    .option("--output <file>", "write to a file instead of stdout")
    .action(async (o: { output?: string }) => {
      try {
        await withDatabase(() =>
          writeAll(
            (async function* () {
              for await (const c of allCheckpoints()) yield `${JSON.stringify(checkpointObject(c))}\n`;
            })(),
            o.output,
          ),
        );
      } catch (err) {
        fail(err);
      }
    });

  const retention = audit
    .command("retention")
    .description("show or set how long audit events are kept (nothing is deleted unless set)")
    .option("--days <days>", "keep events this many days; older ones are deleted from the start of the chain when applied")
    .option("--off", "keep everything (remove the policy)")
    .action(async (o: { days?: string; off?: boolean }) => {
      try {
        if (o.days !== undefined && o.off) throw new Error("give either --days or --off");
        const days = o.days === undefined ? undefined : Number(o.days);
        if (days !== undefined && !(Number.isInteger(days) && days >= 1)) throw new Error("--days must be a whole number of days, at least 1");
        const policy = await withDatabase(async () => {
          if (days !== undefined) await setRetention(days, "cli");
          else if (o.off) await setRetention(null, "cli");
          return getRetention();
        });
        console.log(policy ? `audit events are kept ${policy.days} days` : "audit events are kept forever (no retention policy)");
      } catch (err) {
        fail(err);
      }
    });
  retention
    .command("apply")
    .description("delete events older than the policy now, recording the deletion in the chain (the app also does this with each checkpoint)")
    .action(async () => {
      try {
        const r = await withDatabase(() => applyRetention("cli"));
        console.log(r.deleted ? `deleted events ${r.fromSeq} to ${r.throughSeq} (${r.deleted}); the deletion is recorded in the chain` : "nothing to delete");
      } catch (err) {
        fail(err);
      }
    });
}
