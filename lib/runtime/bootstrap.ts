import "server-only";
import { createAgent } from "../agents/create-agent.ts";
import { db } from "../db.ts";
import { createUser } from "../users/create-user.ts";

export interface FirstStartCredentials {
  adminEmail: string;
  adminPassword: string;
  agentId: string;
  agentName: string;
  agentKey: string;
}

/**
 * On the very first start of an embedded installation, creates an admin and a
 * demo agent so the quick start works end to end. Runs once: an installation
 * that already has users gets nothing new.
 */
export async function bootstrapFirstStart(): Promise<FirstStartCredentials | null> {
  if (await db().selectFrom("users").select("id").limit(1).executeTakeFirst()) return null;
  const adminEmail = "admin@countersign.local";
  const { password } = await createUser({ email: adminEmail, role: "admin", name: "Administrator", actor: "system", mustChangePassword: true });
  const agent = await createAgent({
    name: "demo-agent",
    ownerEmail: null,
    description: "Demo agent created on first start",
    tags: ["demo"],
    actor: "system",
  });
  return { adminEmail, adminPassword: password!, agentId: agent.agentId, agentName: "demo-agent", agentKey: agent.key };
}
