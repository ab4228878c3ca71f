import { readBody, readQuery, json } from "@/lib/http/body";
import { withAgent } from "@/lib/http/with-agent";
import { AppError } from "@/lib/errors";
import { publicUrl } from "@/lib/env";
import { createRequest } from "@/lib/requests/create-request";
import { listRequests } from "@/lib/requests/list-requests";
import { toRequestObject } from "@/lib/requests/serialize-request";
import { CreateRequestBody, IdempotencyKey, ListRequestsQuery } from "@/lib/schemas/requests";

export const POST = withAgent(async (req, { agent }) => {
  const body = await readBody(req, CreateRequestBody);
  const header = req.headers.get("idempotency-key") ?? undefined;
  if (header !== undefined && !IdempotencyKey.safeParse(header).success) {
    throw new AppError("validation_failed", "Idempotency-Key must be 1 to 255 characters", { errors: [{ path: "Idempotency-Key", message: "invalid" }] });
  }
  if (header && body.idempotency_key && header !== body.idempotency_key) {
    throw new AppError("validation_failed", "the Idempotency-Key header and idempotency_key field differ", {
      errors: [{ path: "idempotency_key", message: "differs from the Idempotency-Key header" }],
    });
  }
  const { request, replayed } = await createRequest({ agent, body, idempotencyKey: header });
  const location = `${publicUrl()}/api/v1/requests/${request.id}`;
  return json(await toRequestObject(request, { forAgentId: agent.id }), { status: replayed ? 200 : 201, headers: { location } });
});

export const GET = withAgent(async (req, { agent }) => {
  const q = readQuery(req, ListRequestsQuery);
  const { data, nextCursor } = await listRequests({ agentId: agent.id, status: q.status, limit: q.limit, cursor: q.cursor });
  const now = new Date();
  return json({ data: await Promise.all(data.map((r) => toRequestObject(r, { forAgentId: agent.id, now }))), next_cursor: nextCursor });
});
