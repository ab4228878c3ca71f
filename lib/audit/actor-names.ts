import "server-only";
import { db } from "../db.ts";

/**
 * Audit events name their actors by id (`user:usr_…`, `agent:agt_…`), which
 * is what the chain must keep; people reading the log want names. These
 * answer both ways, in one indexed lookup per kind.
 */

const idsOf = (actors: string[], kind: string) => [...new Set(actors.filter((a) => a.startsWith(`${kind}:`)).map((a) => a.slice(kind.length + 1)))];

/** "Ana (ana@example.com)" for people, the name for agents, rules and admin tokens; actors not found are left out. */
export async function actorNames(actors: string[]): Promise<Record<string, string>> {
  const users = idsOf(actors, "user");
  const agents = idsOf(actors, "agent");
  const rules = idsOf(actors, "policy");
  const tokens = idsOf(actors, "admin_token");
  const [u, a, r, t] = await Promise.all([
    users.length ? db().selectFrom("users").select(["id", "name", "email"]).where("id", "in", users).execute() : [],
    agents.length ? db().selectFrom("agents").select(["id", "name"]).where("id", "in", agents).execute() : [],
    rules.length ? db().selectFrom("policyRules").select(["id", "name"]).where("id", "in", rules).execute() : [],
    tokens.length ? db().selectFrom("adminTokens").select(["id", "name"]).where("id", "in", tokens).execute() : [],
  ]);
  return Object.fromEntries([
    ...u.map((x) => [`user:${x.id}`, x.name ? `${x.name} (${x.email})` : x.email]),
    ...a.map((x) => [`agent:${x.id}`, `agent ${x.name}`]),
    ...r.map((x) => [`policy:${x.id}`, `rule ${x.name}`]),
    ...t.map((x) => [`admin_token:${x.id}`, `admin token ${x.name}`]),
  ]);
}

/** Up to 50 actors whose person (name or email) or agent (name) contains `text`, case-insensitively. */
export async function actorsNamed(text: string): Promise<string[]> {
  const like = `%${text
    .trim()
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const [users, agents] = await Promise.all([
    db()
      .selectFrom("users")
      .select("id")
      .where((eb) => eb.or([eb("email", "ilike", like), eb("name", "ilike", like)]))
      .limit(50)
      .execute(),
    db().selectFrom("agents").select("id").where("name", "ilike", like).limit(50).execute(),
  ]);
  return [...users.map((u) => `user:${u.id}`), ...agents.map((a) => `agent:${a.id}`)].slice(0, 50);
}
