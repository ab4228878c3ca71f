import { checkpointObject, createCheckpoint, listCheckpoints } from "@/lib/audit/checkpoints";
import { json } from "@/lib/http/body";
import { withAuditAccess } from "../_lib/audit-access";

/** The most recent signed checkpoints, newest first (up to 500). */
export const GET = withAuditAccess(async () => json({ data: (await listCheckpoints({ limit: 500 })).map(checkpointObject) }));

/** Signs the current head now (admins and admin tokens); 201 when created, 200 when that head was already checkpointed. */
export const POST = withAuditAccess(async () => {
  const r = await createCheckpoint();
  return json({ checkpoint: r.checkpoint && checkpointObject(r.checkpoint), created: r.created }, { status: r.created ? 201 : 200 });
}, ["admin"]);
