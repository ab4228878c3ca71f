import "server-only";
import type { Queryable, Row } from "../db.ts";
import type { StoredRequest } from "./serialize-request.ts";

/**
 * Reads of one request with its votes (oldest first) and its grant: three
 * typed queries, sent together, so a read costs one round trip of latency.
 */
export async function findStoredRequest(q: Queryable, where: { id: string; agentId?: string }): Promise<StoredRequest | null> {
  const { id, agentId } = where;
  const [row, votes, grant] = await Promise.all([
    q
      .selectFrom("actionRequests")
      .selectAll()
      .where("id", "=", id)
      .$if(agentId !== undefined, (qb) => qb.where("agentId", "=", agentId as string))
      .executeTakeFirst(),
    votesOf(q, id),
    grantOf(q, id),
  ]);
  return row ? { ...row, votes, grant } : null;
}

/** The agent's request made with `idempotencyKey`, if any. */
export async function findByIdempotencyKey(q: Queryable, agentId: string, idempotencyKey: string): Promise<StoredRequest | null> {
  const row = await q.selectFrom("actionRequests").selectAll().where("agentId", "=", agentId).where("idempotencyKey", "=", idempotencyKey).executeTakeFirst();
  return row ? withVotesAndGrant(q, row) : null;
}

/** Completes a request row read elsewhere with its votes and grant. */
export async function withVotesAndGrant(q: Queryable, row: Row<"actionRequests">): Promise<StoredRequest> {
  const [votes, grant] = await Promise.all([votesOf(q, row.id), grantOf(q, row.id)]);
  return { ...row, votes, grant };
}

function votesOf(q: Queryable, requestId: string): Promise<Row<"votes">[]> {
  return q.selectFrom("votes").selectAll().where("requestId", "=", requestId).orderBy("createdAt").orderBy("id").execute();
}

async function grantOf(q: Queryable, requestId: string): Promise<Row<"grants"> | null> {
  return (await q.selectFrom("grants").selectAll().where("requestId", "=", requestId).executeTakeFirst()) ?? null;
}
