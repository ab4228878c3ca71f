import { eventObject, getEvent } from "@/lib/audit/query-events";
import { AppError } from "@/lib/errors";
import { json, parseWith } from "@/lib/http/body";
import { AuditEventSeqParam } from "@/lib/schemas/audit";
import { withAuditAccess } from "../../_lib/audit-access";

/** One audit event with its place in the chain. */
export const GET = withAuditAccess<{ seq: string }>(async (_req, { params }) => {
  const { seq } = parseWith(AuditEventSeqParam, params, "path");
  const event = await getEvent(BigInt(seq));
  if (!event) throw new AppError("not_found", "no such event");
  return json(eventObject(event));
});
