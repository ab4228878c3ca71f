import { db } from "../db.ts";
import { publicUrl } from "../env.ts";
import { AppError } from "../errors.ts";
import { activeSigningKey, publicJwks } from "../grants/signing-keys.ts";
import { redeemGrant } from "../grants/redeem-grant.ts";
import { cancelRequest } from "../requests/cancel-request.ts";
import { createRequest } from "../requests/create-request.ts";
import { getAgentRequest } from "../requests/get-request.ts";
import { listRequests } from "../requests/list-requests.ts";
import { reportOutcome } from "../requests/report-outcome.ts";
import { toRequestObject } from "../requests/serialize-request.ts";
import { waitForRequest } from "../requests/wait-for-request.ts";
import { CreateRequestBody, IdempotencyKey, ListRequestsQuery, OutcomeBody, RedeemBody, WaitQuery } from "../schemas/requests.ts";
import { json, readBody, readQuery } from "./body.ts";
import { clientAddress } from "./client-address.ts";
import { withAgent, withPublic } from "./with-agent.ts";

/*
 * The machine-facing API (agents and executors): thin handlers from Web
 * Request to Web Response. The files under app/ export them for Next.js, and
 * the Countersign server also dispatches them directly (lib/runtime/agent-api-server.ts),
 * skipping Next's page machinery on the hottest endpoints.
 */

export const createRequestRoute = withAgent(async (req, { agent }) => {
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

export const listRequestsRoute = withAgent(async (req, { agent }) => {
  const q = readQuery(req, ListRequestsQuery);
  const { data, nextCursor } = await listRequests({ agentId: agent.id, status: q.status, limit: q.limit, cursor: q.cursor });
  const now = new Date();
  return json({ data: await Promise.all(data.map((r) => toRequestObject(r, { forAgentId: agent.id, now }))), next_cursor: nextCursor });
});

export const getRequestRoute = withAgent<{ id: string }>(async (req, { agent, params }) => {
  const { wait } = readQuery(req, WaitQuery);
  const request = await waitForRequest({
    requestId: params.id,
    agentId: agent.id,
    read: () => getAgentRequest(agent.id, params.id),
    waitSeconds: wait,
    signal: req.signal,
  });
  return json(await toRequestObject(request, { forAgentId: agent.id }));
});

export const cancelRequestRoute = withAgent<{ id: string }>(async (_req, { agent, params }) => {
  const request = await cancelRequest(agent.id, params.id);
  return json(await toRequestObject(request, { forAgentId: agent.id }));
});

export const reportOutcomeRoute = withAgent<{ id: string }>(async (req, { agent, params }) => {
  const body = await readBody(req, OutcomeBody);
  const request = await reportOutcome({ agentId: agent.id, requestId: params.id, status: body.status, detail: body.detail });
  return json(await toRequestObject(request, { forAgentId: agent.id }));
});

export const redeemGrantRoute = withPublic(async (req) => {
  const body = await readBody(req, RedeemBody);
  const g = await redeemGrant({ token: body.token, action: body.action, params: body.params, source: clientAddress(req.headers) });
  return json({
    grant_id: g.grantId,
    request_id: g.requestId,
    agent_id: g.agentId,
    action: g.action,
    resource: g.resource,
    params: g.params,
    redeemed_at: g.redeemedAt.toISOString(),
  });
});

export const jwksRoute = withPublic(async () => {
  await activeSigningKey();
  const res = json(await publicJwks());
  res.headers.set("cache-control", "public, max-age=300");
  return res;
});

export async function healthRoute(): Promise<Response> {
  try {
    await db().$queryRaw`SELECT 1`;
    return json({ status: "ok", database: "ok" });
  } catch {
    return json({ status: "degraded", database: "unavailable" }, { status: 503 });
  }
}

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

const ID = "([^/]+)";
const ROUTES: { method: string; pattern: RegExp; handler: Handler }[] = [
  { method: "POST", pattern: /^\/api\/v1\/requests$/, handler: createRequestRoute as Handler },
  { method: "GET", pattern: /^\/api\/v1\/requests$/, handler: listRequestsRoute as Handler },
  { method: "GET", pattern: new RegExp(`^/api/v1/requests/${ID}$`), handler: getRequestRoute as Handler },
  { method: "POST", pattern: new RegExp(`^/api/v1/requests/${ID}/cancel$`), handler: cancelRequestRoute as Handler },
  { method: "POST", pattern: new RegExp(`^/api/v1/requests/${ID}/outcome$`), handler: reportOutcomeRoute as Handler },
  { method: "POST", pattern: /^\/api\/v1\/grants\/redeem$/, handler: redeemGrantRoute as Handler },
  { method: "GET", pattern: /^\/\.well-known\/jwks\.json$/, handler: jwksRoute as Handler },
  { method: "GET", pattern: /^\/api\/health$/, handler: healthRoute },
];

/** The handler for a method and path of the machine-facing API, or null (Next.js serves everything else). */
export function matchAgentRoute(method: string, pathname: string): { handler: Handler; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    let id: string;
    try {
      id = m[1] === undefined ? "" : decodeURIComponent(m[1]);
    } catch {
      id = m[1];
    }
    return { handler: route.handler, params: m[1] === undefined ? {} : { id } };
  }
  return null;
}
