import { applyRetention } from "@/lib/audit/retention";
import { json } from "@/lib/http/body";
import { withAuditAccess } from "../../_lib/audit-access";

/** Applies the policy now (the app also applies it with each checkpoint); the deletion is a chained `audit.events_deleted` event. */
export const POST = withAuditAccess(async (_req, { admin }) => {
  const r = await applyRetention(admin.actor);
  return json({ deleted: r.deleted, from_seq: r.fromSeq === null ? null : Number(r.fromSeq), through_seq: r.throughSeq === null ? null : Number(r.throughSeq) });
}, ["admin"]);
