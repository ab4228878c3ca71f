import { verificationObject, verifyChain } from "@/lib/audit/verify-chain";
import { json } from "@/lib/http/body";
import { withAuditAccess } from "../_lib/audit-access";

/**
 * Recomputes the whole chain (streamed in batches) and checks it against the
 * signed checkpoints. With `Accept: application/x-ndjson` the answer is
 * streamed: a `{"progress":…}` line after each batch, then `{"result":…}`.
 */
export const POST = withAuditAccess(async (req) => {
  if (!/\bapplication\/x-ndjson\b/.test(req.headers.get("accept") ?? "")) return json(verificationObject(await verifyChain()));
  const encoder = new TextEncoder();
  const line = (o: unknown) => encoder.encode(`${JSON.stringify(o)}\n`);
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        const result = await verifyChain({ onProgress: (verified, headSeq) => controller.enqueue(line({ progress: { verified, head_seq: Number(headSeq) } })) });
        controller.enqueue(line({ result: verificationObject(result) }));
        controller.close();
      } catch (err) {
        controller.error(err);
      }
    },
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" } });
});
