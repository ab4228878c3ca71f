import { exportLines } from "@/lib/audit/query-events";
import { readQuery } from "@/lib/http/body";
import { AuditExportQuery } from "@/lib/schemas/audit";
import { toFilter, withAuditAccess } from "../_lib/audit-access";

/**
 * The events of a range as JSON lines or CSV, streamed: pages are read from
 * the database as the client consumes the body, never the whole range at once.
 */
export const GET = withAuditAccess(async (req) => {
  const q = readQuery(req, AuditExportQuery);
  const lines = exportLines(toFilter(q), q.format);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await lines.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return new Response(body, {
    headers: {
      "content-type": q.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="countersign-audit-${stamp}.${q.format}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
});
