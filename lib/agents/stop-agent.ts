import "server-only";
import type { Kysely } from "kysely";
import { appendEvents, type AuditEventInput } from "../audit/append-event.ts";
import { announceOnCommit, type DB, transact, type Trx } from "../db.ts";
import { AppError } from "../errors.ts";
import { type AgentSelector, bulkData, isBulk, lockSelectedAgents, type SelectedAgent } from "./agent-selector.ts";
import type { AgentRef } from "./find-agent.ts";

export type StopAgentOptions = AgentRef & {
  /** Why, for the audit log and the cancelled requests' decision reason. */
  reason?: string | null;
  /** Who did it: `user:usr_…`, `admin_token:…`, `cli`, or `system` (automatic containment). */
  actor: string;
  /** Set by automatic containment: the rule that tripped and what it saw, recorded as the event's `containment`. */
  containment?: Record<string, unknown>;
};

export interface StopAgentResult {
  agentId: string;
  name: string;
  status: "suspended" | "retired";
  /** Ids of the pending requests that were cancelled. */
  cancelledRequests: string[];
  /** How many unredeemed, unexpired grants were revoked. */
  revokedGrants: number;
}

/** An agent a bulk change matched but left as it was (already in the target status). */
export interface SkippedAgent {
  agentId: string;
  name: string;
  status: SelectedAgent["status"];
}

export interface StopAgentsOptions {
  selector: AgentSelector;
  to: "suspended" | "retired";
  reason?: string | null;
  actor: string;
  containment?: Record<string, unknown>;
  /** The query builder to run on (tests: a scratch database); the app's by default. */
  on?: Kysely<DB>;
}

export interface StopAgentsResult {
  /** By name. */
  stopped: StopAgentResult[];
  /** By name. */
  skipped: SkippedAgent[];
}

/** Waiters to wake per `announceOnCommit` call: keeps argument lists far below the engine's limit for any count. */
const ANNOUNCE_CHUNK = 5_000;

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Takes agents out of service (suspend: the kill switch; retire: for good),
 * one agent or a whole set, in ONE short transaction of a few set-based
 * statements whatever the number of agents and requests: the agents' rows
 * locked in id order, their new status (keys refused from the next call: 403
 * when suspended, 401 when retired), every pending request of theirs
 * cancelled by the system, every grant they could still redeem revoked, one
 * `agent.suspended` (or `agent.retired`) event per agent and one
 * `request.cancelled` per request, and, after the commit, a wake-up per
 * cancelled request so waiting agents and the live queue hear it.
 *
 * One agent (by id or name): a retired one, or one already in the target
 * status, is a 409 conflict. A bulk selector (a tag, or all) never matches
 * retired agents and skips (reports, without error) those already in the
 * target status; an empty match changes nothing.
 */
export async function stopAgents(o: StopAgentsOptions): Promise<StopAgentsResult> {
  const reason = o.reason?.trim() || null;
  const bulk = isBulk(o.selector) ? bulkData(o.selector) : null;
  return transact(async (trx) => {
    const selected = await lockSelectedAgents(trx, o.selector);
    if (!bulk) {
      const [agent] = selected;
      if (agent.status === "retired") throw new AppError("conflict", `agent ${agent.name} is retired`);
      if (agent.status === o.to) throw new AppError("conflict", `agent ${agent.name} is already ${o.to}`);
    }
    const targets = selected.filter((a) => a.status !== o.to);
    const skipped = selected.filter((a) => a.status === o.to).map((a) => ({ agentId: a.id, name: a.name, status: a.status }));
    if (targets.length === 0) return { stopped: [], skipped: skipped.sort(byName) };

    const ids = targets.map((a) => a.id);
    await trx
      .updateTable("agents")
      .set({ status: o.to })
      .where("id", "=", (eb) => eb.fn.any(eb.val(ids)))
      .execute();
    const { cancelled, revoked } = await stopWork(trx, ids, `agent ${o.to}${reason ? `: ${reason}` : ""}`);

    const stopped = targets.map(
      (a): StopAgentResult => ({
        agentId: a.id,
        name: a.name,
        status: o.to,
        cancelledRequests: (cancelled.get(a.id) ?? []).sort(),
        revokedGrants: revoked.get(a.id) ?? 0,
      }),
    );
    const events: AuditEventInput[] = [
      ...stopped.map((s, i) => ({
        type: o.to === "suspended" ? "agent.suspended" : "agent.retired",
        actor: o.actor,
        agentId: s.agentId,
        data: {
          name: s.name,
          reason,
          before: { status: targets[i].status },
          after: { status: o.to },
          cancelled_requests: s.cancelledRequests.length,
          revoked_grants: s.revokedGrants,
          ...(bulk ? { bulk } : {}),
          ...(o.containment ? { containment: o.containment } : {}),
        },
      })),
      ...stopped.flatMap((s) =>
        s.cancelledRequests.map((requestId) => ({
          type: "request.cancelled",
          actor: "system",
          requestId,
          agentId: s.agentId,
          data: { reason: `agent ${o.to}` },
        })),
      ),
    ];
    await appendEvents(trx, events);
    return { stopped: stopped.sort(byName), skipped: skipped.sort(byName) };
  }, o.on);
}

/** One agent: what the console's, the API's and the CLI's single suspend and retire run, and automatic containment. */
export async function stopAgent(o: StopAgentOptions & { to: "suspended" | "retired" }): Promise<StopAgentResult> {
  const { reason, actor, containment, to } = o;
  const selector: AgentRef = "agentId" in o ? { agentId: o.agentId } : { name: o.name };
  const { stopped } = await stopAgents({ selector, to, reason, actor, containment });
  return stopped[0];
}

/**
 * Cancels the agents' pending requests and revokes their live grants, inside
 * the caller's transaction: one statement each, whatever the count.
 */
async function stopWork(trx: Trx, agentIds: string[], decisionReason: string): Promise<{ cancelled: Map<string, string[]>; revoked: Map<string, number> }> {
  const now = new Date();
  // Requests first: a decision racing this either committed already (its grant
  // is then visible to the revocation below, which runs on a later snapshot)
  // or waits on the row lock and then finds the request no longer pending.
  const rows = await trx
    .updateTable("actionRequests")
    .set({ status: "cancelled", decidedAt: now, decisionBy: "system", decisionReason })
    .where("agentId", "=", (eb) => eb.fn.any(eb.val(agentIds)))
    .where("status", "=", "pending")
    .where("expiresAt", ">", now)
    .returning(["id", "agentId"])
    .execute();
  const grants = await trx
    .updateTable("grants")
    .set({ revokedAt: now })
    .where("agentId", "=", (eb) => eb.fn.any(eb.val(agentIds)))
    .where("redeemedAt", "is", null)
    .where("revokedAt", "is", null)
    .where("expiresAt", ">", now)
    .returning("agentId")
    .execute();

  const cancelled = new Map<string, string[]>();
  for (const r of rows) {
    const list = cancelled.get(r.agentId);
    if (list) list.push(r.id);
    else cancelled.set(r.agentId, [r.id]);
  }
  const revoked = new Map<string, number>();
  for (const g of grants) revoked.set(g.agentId, (revoked.get(g.agentId) ?? 0) + 1);
  for (let i = 0; i < rows.length; i += ANNOUNCE_CHUNK) {
    announceOnCommit(trx, ...rows.slice(i, i + ANNOUNCE_CHUNK).map((r) => ({ kind: "request" as const, id: r.id, agent_id: r.agentId, status: "cancelled" })));
  }
  return { cancelled, revoked };
}
