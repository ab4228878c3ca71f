/**
 * Where an instance keeps history snapshots (lib/history/approval-history.ts):
 * by agent, then by the totals they cover, bounded by the number of totals
 * held in all (each a short key and a number: 100,000 are a few MB), and by
 * snapshots per agent. The agent kept least recently is dropped first, and
 * within an agent the snapshot kept least recently. Free of I/O.
 */
export class KeptSnapshots<S extends { totals: ReadonlyMap<string, unknown> }> {
  private readonly byAgent = new Map<string, Map<string, S>>();
  private totals = 0;

  constructor(private readonly limits: { totals: number; perAgent: number }) {}

  get(agentId: string, key: string): S | undefined {
    return this.byAgent.get(agentId)?.get(key);
  }

  /** Keeps `snapshot` as the agent's for `key`, the most recently kept of all. */
  set(agentId: string, key: string, snapshot: S): void {
    const mine = this.byAgent.get(agentId) ?? new Map<string, S>();
    this.byAgent.delete(agentId);
    this.drop(mine, key);
    if (mine.size >= this.limits.perAgent) this.drop(mine, mine.keys().next().value!);
    mine.set(key, snapshot);
    this.totals += snapshot.totals.size;
    this.byAgent.set(agentId, mine);
    // Least recently kept agents first; the one just kept goes last, so it stays unless it alone is over.
    for (const [oldest, theirs] of this.byAgent) {
      if (this.totals <= this.limits.totals || oldest === agentId) break;
      this.forget(oldest, theirs);
    }
  }

  /** Drops every snapshot kept for `agentId`. */
  forget(agentId: string, mine = this.byAgent.get(agentId)): void {
    if (!mine) return;
    for (const s of mine.values()) this.totals -= s.totals.size;
    this.byAgent.delete(agentId);
  }

  /** How many totals are kept in all (for tests and bounds). */
  get size(): number {
    return this.totals;
  }

  private drop(mine: Map<string, S>, key: string): void {
    const s = mine.get(key);
    if (!s) return;
    this.totals -= s.totals.size;
    mine.delete(key);
  }
}
