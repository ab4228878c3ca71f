import "server-only";
import { importJWK, jwtVerify, SignJWT } from "jose";
import type pg from "pg";
import { db, kyselyOver, type Queryable, type Row } from "../db.ts";
import { publicUrl } from "../env.ts";
import { activeSigningKey } from "../grants/signing-keys.ts";
import { applyRetention } from "./retention.ts";

/**
 * Signed checkpoints ("anchors") of the audit chain. A checkpoint states, under
 * the gateway's Ed25519 grant signing key, that the chain up to event `seq`
 * ends in `head_hash`; it is a compact JWT of type
 * `countersign-checkpoint+jwt` whose `kid` is published at
 * `/.well-known/jwks.json`, so anyone can check it with the JWKS alone.
 * Exported and kept elsewhere, checkpoints make a cut-off tail detectable:
 * a chain that ends before a signed checkpoint, or reaches it with another
 * hash, was rewritten.
 *
 * A checkpoint is NOT itself an audit event. Appending one would move the
 * head it signs (so it could only ever sign the head as of just before it),
 * and a periodic timer would then grow an idle chain by one event per
 * interval, each checkpointing the last checkpoint. Checkpoints live in their
 * own table, keyed by seq: signing the same head twice (two instances, or a
 * timer and an admin at once) records it once, and an idle chain is not
 * checkpointed again.
 */

export const CHECKPOINT_TYP = "countersign-checkpoint+jwt";

export interface CheckpointRow {
  seq: bigint;
  headHash: string;
  eventCount: bigint;
  kid: string;
  token: string;
  createdAt: Date;
}

export interface CheckpointClaims {
  seq: bigint;
  headHash: string;
  eventCount: bigint;
  issuedAt: Date;
}

/** The builder for `pool` (tests pass a scratch database's), or the app's. */
function on(pool?: pg.Pool): Queryable {
  return pool ? kyselyOver(pool) : db();
}

function checkpoints(q: Queryable) {
  return q.selectFrom("auditCheckpoints").select(["seq", "headHash", "eventCount", "kid", "token", "createdAt"]);
}

function fromStored(r: Omit<Row<"auditCheckpoints">, "createdAt"> & { createdAt: Date }): CheckpointRow {
  return { ...r, seq: BigInt(r.seq), eventCount: BigInt(r.eventCount) };
}

/**
 * Signs the current head and records it. Answers the checkpoint and whether
 * this call created it (false when that head was already checkpointed, by
 * this instance or another). Nothing is signed for an empty chain.
 */
export async function createCheckpoint(pool?: pg.Pool): Promise<{ checkpoint: CheckpointRow | null; created: boolean }> {
  const q = on(pool);
  const head = await q.selectFrom("auditHead").select(["seq", "hash"]).where("id", "=", 1).executeTakeFirst();
  if (!head || head.seq === "0") return { checkpoint: null, created: false };
  const existing = await checkpoints(q).where("seq", "=", head.seq).executeTakeFirst();
  if (existing) return { checkpoint: fromStored(existing), created: false };

  const key = await activeSigningKey();
  const createdAt = new Date();
  // The chain starts at seq 1 and is never renumbered, so the count of events it holds is its head's seq.
  const eventCount = head.seq;
  const token = await new SignJWT({ seq: head.seq, head_hash: head.hash, event_count: eventCount })
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: CHECKPOINT_TYP })
    .setIssuer(publicUrl())
    .setSubject("audit-chain")
    .setJti(`cp_${head.seq}`)
    .setIssuedAt(Math.floor(createdAt.getTime() / 1000))
    .sign(key.privateKey);
  const inserted = await q
    .insertInto("auditCheckpoints")
    .values({ seq: head.seq, headHash: head.hash, eventCount, kid: key.kid, token, createdAt })
    .onConflict((oc) => oc.column("seq").doNothing())
    .returning(["seq", "headHash", "eventCount", "kid", "token", "createdAt"])
    .executeTakeFirst();
  if (inserted) return { checkpoint: fromStored(inserted), created: true };
  const raced = await checkpoints(q).where("seq", "=", head.seq).executeTakeFirst();
  return { checkpoint: raced ? fromStored(raced) : null, created: false };
}

/** Checkpoints, newest first, `limit` at a time before seq `before` (keyset). */
export async function listCheckpoints(options: { limit?: number; before?: bigint } = {}, pool?: pg.Pool): Promise<CheckpointRow[]> {
  const before = options.before;
  const rows = await checkpoints(on(pool))
    .$if(before !== undefined, (qb) => qb.where("seq", "<", String(before)))
    .orderBy("seq", "desc")
    .limit(options.limit ?? 100)
    .execute();
  return rows.map(fromStored);
}

/** Up to `limit` checkpoints with seq > `afterSeq`, in seq order. */
export async function checkpointsAfter(q: Queryable, afterSeq: bigint, limit: number): Promise<CheckpointRow[]> {
  const rows = await checkpoints(q).where("seq", ">", afterSeq.toString()).orderBy("seq").limit(limit).execute();
  return rows.map(fromStored);
}

/** Every checkpoint in seq order, streamed in pages (for export). */
export async function* allCheckpoints(pool?: pg.Pool): AsyncGenerator<CheckpointRow> {
  const q = on(pool);
  let after = 0n;
  for (;;) {
    const page = await checkpointsAfter(q, after, 1000);
    yield* page;
    if (page.length < 1000) return;
    after = page[page.length - 1].seq;
  }
}

/** A checkpoint as the API and exports show it. */
export function checkpointObject(c: CheckpointRow) {
  return {
    seq: Number(c.seq),
    head_hash: c.headHash,
    event_count: Number(c.eventCount),
    kid: c.kid,
    created_at: c.createdAt.toISOString(),
    token: c.token,
  };
}

/** Reads checkpoints exported as JSON lines (`countersign audit checkpoints`, or the console's download). */
export function parseCheckpointLines(text: string): CheckpointRow[] {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((line, i) => {
      const o = JSON.parse(line) as Partial<ReturnType<typeof checkpointObject>>;
      if (
        typeof o.seq !== "number" ||
        typeof o.head_hash !== "string" ||
        typeof o.kid !== "string" ||
        typeof o.token !== "string" ||
        typeof o.event_count !== "number"
      ) {
        throw new Error(`line ${i + 1} is not a checkpoint`);
      }
      return {
        seq: BigInt(o.seq),
        headHash: o.head_hash,
        eventCount: BigInt(o.event_count),
        kid: o.kid,
        token: o.token,
        createdAt: new Date(o.created_at ?? 0),
      };
    });
}

/** Checks a checkpoint token's signature and type against a public JWK; null when it does not verify. */
export async function verifyCheckpointToken(token: string, jwk: Record<string, unknown>): Promise<CheckpointClaims | null> {
  try {
    const key = await importJWK(jwk as Parameters<typeof importJWK>[0], "EdDSA");
    const { payload } = await jwtVerify(token, key, { typ: CHECKPOINT_TYP, algorithms: ["EdDSA"] });
    const { seq, head_hash, event_count, iat } = payload as { seq?: unknown; head_hash?: unknown; event_count?: unknown; iat?: number };
    if (typeof seq !== "string" || typeof head_hash !== "string" || typeof event_count !== "string" || !/^\d+$/.test(seq) || !/^\d+$/.test(event_count)) {
      return null;
    }
    return { seq: BigInt(seq), headHash: head_hash, eventCount: BigInt(event_count), issuedAt: new Date((iat ?? 0) * 1000) };
  } catch {
    return null;
  }
}

/**
 * Every `seconds` in this process (`COUNTERSIGN_AUDIT_CHECKPOINT_SECONDS`):
 * applies the retention policy if an admin set one, then checkpoints the
 * chain. Answers a stop function.
 */
export function startCheckpointTimer(seconds: number, onError: (err: Error) => void): () => void {
  const timer = setInterval(() => {
    // Retention (only when an admin set a policy) runs first, so the checkpoint signs the chain as kept.
    applyRetention("system")
      .catch(onError)
      .then(() => createCheckpoint())
      .catch(onError);
  }, seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
