import { listEvents, eventObject } from "@/lib/audit/query-events";
import { json, readQuery } from "@/lib/http/body";
import { AuditEventsQuery } from "@/lib/schemas/audit";
import { toFilter, withAuditAccess } from "../_lib/audit-access";

/** Audit events matching the filters, newest first, paged by seq. */
export const GET = withAuditAccess(async (req) => {
  const q = readQuery(req, AuditEventsQuery);
  const page = await listEvents(toFilter(q), { limit: q.limit, before: q.cursor ? BigInt(q.cursor) : undefined });
  return json({ data: page.events.map(eventObject), next_cursor: page.nextCursor?.toString() ?? null });
});
