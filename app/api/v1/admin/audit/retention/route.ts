import { getChainStart, getRetention, setRetention } from "@/lib/audit/retention";
import { json, readBody } from "@/lib/http/body";
import { AuditRetentionBody } from "@/lib/schemas/audit";
import { withAuditAccess } from "../_lib/audit-access";

async function retentionObject() {
  const [policy, start] = await Promise.all([getRetention(), getChainStart()]);
  return { days: policy?.days ?? null, chain_start_seq: Number(start.seq) };
}

/** How long audit events are kept (null: forever), and where the stored chain starts. */
export const GET = withAuditAccess(async () => json(await retentionObject()));

/** Sets or removes the policy (admins); the change is itself a chained `audit.retention_set` event. */
export const PUT = withAuditAccess(async (req, { admin }) => {
  const body = await readBody(req, AuditRetentionBody);
  await setRetention(body.days, admin.actor);
  return json(await retentionObject());
}, ["admin"]);
