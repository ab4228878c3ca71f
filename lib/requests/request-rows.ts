import "server-only";
import DataLoader from "dataloader";
import { db, onPeopleLane, type Queryable, type Row } from "../db.ts";
import type { StoredRequest } from "./serialize-request.ts";

/** A request row as stored requests carry it. */
type StoredRow = Omit<StoredRequest, "votes" | "grant">;

/**
 * Every column of a stored request but the reviewer-only ones (`risk`,
 * `condition_errors`, read apart by the review views) and the reminder
 * bookkeeping: nothing an agent's read returns can carry them.
 */
export const REQUEST_COLUMNS = [
  "actionRequests.id",
  "actionRequests.agentId",
  "actionRequests.action",
  "actionRequests.resource",
  "actionRequests.params",
  "actionRequests.paramsSha256",
  "actionRequests.summary",
  "actionRequests.justification",
  "actionRequests.context",
  "actionRequests.status",
  "actionRequests.policyId",
  "actionRequests.policyName",
  "actionRequests.policyVersion",
  "actionRequests.policyEffect",
  "actionRequests.approvalsRequired",
  "actionRequests.reviewerGroups",
  "actionRequests.reasonRequiredToApprove",
  "actionRequests.ownerMayDecide",
  "actionRequests.reviewersMayEdit",
  "actionRequests.originalParams",
  "actionRequests.originalParamsSha256",
  "actionRequests.amendedBy",
  "actionRequests.grantTtlSeconds",
  "actionRequests.grantAudience",
  "actionRequests.createdAt",
  "actionRequests.expiresAt",
  "actionRequests.decidedAt",
  "actionRequests.decisionBy",
  "actionRequests.decisionReason",
  "actionRequests.idempotencyKey",
  "actionRequests.bodySha256",
  "actionRequests.callbackUrl",
  "actionRequests.outcomeStatus",
  "actionRequests.outcomeDetail",
  "actionRequests.outcomeAt",
] as const;

/** Votes (oldest first) and grants of a page of requests: two queries for the whole page, whatever its size. */
export async function withVotesAndGrants<R extends StoredRow>(q: Queryable, rows: R[]): Promise<(R & Pick<StoredRequest, "votes" | "grant">)[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [votes, grants] = await Promise.all([
    q
      .selectFrom("votes")
      .selectAll()
      .where("requestId", "=", (eb) => eb.fn.any(eb.val(ids)))
      .orderBy("createdAt")
      .orderBy("id")
      .execute(),
    q
      .selectFrom("grants")
      .selectAll()
      .where("requestId", "=", (eb) => eb.fn.any(eb.val(ids)))
      .execute(),
  ]);
  const votesOf = new Map<string, Row<"votes">[]>();
  for (const v of votes) {
    const list = votesOf.get(v.requestId);
    if (list) list.push(v);
    else votesOf.set(v.requestId, [v]);
  }
  const grantOf = new Map(grants.map((g) => [g.requestId, g]));
  return rows.map((r) => ({ ...r, votes: votesOf.get(r.id) ?? [], grant: grantOf.get(r.id) ?? null }));
}

/** Completes one request row with its votes and grant. */
export async function withVotesAndGrant<R extends StoredRow>(q: Queryable, row: R): Promise<R & Pick<StoredRequest, "votes" | "grant">> {
  const [one] = await withVotesAndGrants(q, [row]);
  return one;
}

/**
 * One request with its votes and grant. The row is read first and the rest
 * after it: a grant or vote committed with the status the row shows is then
 * always seen (parallel reads could see an approved request without its grant).
 */
export async function findStoredRequest(q: Queryable, where: { id: string; agentId?: string }): Promise<StoredRequest | null> {
  const { id, agentId } = where;
  const row = await q
    .selectFrom("actionRequests")
    .select(REQUEST_COLUMNS)
    .where("id", "=", id)
    .$if(agentId !== undefined, (qb) => qb.where("agentId", "=", agentId as string))
    .executeTakeFirst();
  return row ? withVotesAndGrant(q, row) : null;
}

/** The agent's request made with `idempotencyKey`, if any. */
export async function findByIdempotencyKey(q: Queryable, agentId: string, idempotencyKey: string): Promise<StoredRequest | null> {
  const row = await q
    .selectFrom("actionRequests")
    .select(REQUEST_COLUMNS)
    .where("agentId", "=", agentId)
    .where("idempotencyKey", "=", idempotencyKey)
    .executeTakeFirst();
  return row ? withVotesAndGrant(q, row) : null;
}

/** Reads at most this many requests in one query; a larger batch is split. */
const READ_BATCH = 500;

/**
 * Reads of single requests by id, batched: the reads asked for in the same
 * tick go to the database together, three queries for the lot (rows, then
 * their votes and grants). When a decision, a suspension or a resync wakes
 * thousands of waiting agents at once, they re-read in a few queries, not
 * thousands. Nothing is cached: every read sees what is committed when its
 * batch runs.
 */
function batchedReader(lane: <T>(work: () => Promise<T>) => Promise<T>) {
  return new DataLoader<string, StoredRequest | null>(
    (ids) =>
      lane(async () => {
        const rows = await db()
          .selectFrom("actionRequests")
          .select(REQUEST_COLUMNS)
          .where("id", "=", (eb) => eb.fn.any(eb.val([...ids])))
          .execute();
        const found = new Map((await withVotesAndGrants(db(), rows)).map((r) => [r.id, r]));
        return ids.map((id) => found.get(id) ?? null);
      }),
    { cache: false, maxBatchSize: READ_BATCH },
  );
}

const reads = batchedReader((work) => work());
// Reads by agents that a change woke run on the people's connections: a decision or a suspension is done only
// when the waiting agent has its answer, so they must not queue behind a flood of agents' calls on their pool.
const wakeUpReads = batchedReader(onPeopleLane);

/** One request with its votes and grant, read together with the others asked for at the same moment. */
export async function readStoredRequest(id: string, o: { wokenUp?: boolean } = {}): Promise<StoredRequest | null> {
  return (o.wokenUp ? wakeUpReads : reads).load(id);
}
