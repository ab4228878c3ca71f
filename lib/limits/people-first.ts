import { metrics } from "../metrics.ts";

/**
 * People first. A person's call (a reviewer's decision, an admin's kill
 * switch, a dashboard page) makes a handful of database round trips one
 * after another, and on a machine saturated by agents each of them waits its
 * turn for the CPU (the event loop's and PostgreSQL's) behind every agent
 * statement in flight. So while any person's call is being served, each
 * statement of agents' and background work waits before it is sent, until
 * the people's calls are done or `maxMs` at most: agents slow down while
 * people act, but never stop. A statement inside an agent's transaction waits
 * too (holding back only the statements outside would leave the transactions
 * under way to fill the CPU, which measured no better than nothing); a person
 * who needs a lock such a transaction holds waits at most `maxMs` per
 * statement it has left, and no wait is ever a cycle.
 *
 * Counted per process, like the other limits in this folder.
 */

let serving = 0;
const held = new Set<() => void>();

/** Marks a person's call as being served until the returned function is called (idempotent). */
export function personServed(): () => void {
  serving++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    serving--;
    if (serving === 0) for (const go of [...held]) go();
  };
}

/**
 * For a statement of agents' or background work, before it is sent:
 * undefined when no person's call is being served (go at once), otherwise a
 * promise that resolves when none is, or after `maxMs`.
 */
export function yieldToPeople(maxMs: number): Promise<void> | undefined {
  if (serving === 0 || maxMs <= 0) return undefined;
  metrics().yieldsToPeople.inc();
  return new Promise((resolve) => {
    const go = () => {
      clearTimeout(timer);
      held.delete(go);
      resolve();
    };
    const timer = setTimeout(go, maxMs);
    held.add(go);
  });
}
