import "server-only";
import { actorNames, actorsNamed } from "../audit/actor-names.ts";
import { checkpointObject, createCheckpoint, listCheckpoints } from "../audit/checkpoints.ts";
import { eventFilter, eventObject, exportLines, getEvent, listEvents } from "../audit/query-events.ts";
import { applyRetention, getChainStart, getRetention, setRetention } from "../audit/retention.ts";
import { awaitSealed } from "../audit/sealer.ts";
import { verificationObject, verifyChain } from "../audit/verify-chain.ts";
import { AppError } from "../errors.ts";
import { json, parseWith } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import { ADMIN_UNAUTHENTICATED, type ErrorCase, errors, invalid, jsonContent, pathParams, TOO_LARGE, UNAVAILABLE } from "../openapi/components.ts";
import * as ex from "../openapi/examples.ts";
import {
  AuditCheckpointList,
  AuditEventList,
  AuditEventObject,
  AuditEventSeqParam,
  AuditEventsQuery,
  AuditExportQuery,
  AuditRetentionApplied,
  AuditRetentionBody,
  AuditRetentionObject,
  ChainVerificationObject,
  CreatedCheckpoint,
} from "../schemas/audit.ts";
import { z } from "../schemas/zod.ts";

/*
 * The audit log as evidence: events with their place in the hash chain,
 * verification, signed checkpoints, streamed export and retention. An
 * admin's or auditor's session, or an admin API token with `audit:read`;
 * changes (a checkpoint now, the retention policy) are for admins, or a
 * token with `audit:write`.
 */

const tags = ["Audit"];
const READERS = { admin: ["admin", "auditor"], scope: "audit:read" } as const;
const ADMINS = { admin: ["admin"], scope: "audit:write" } as const;
const READ_FORBIDDEN: ErrorCase = {
  code: "forbidden",
  when: "Signed in, but neither an admin nor an auditor; or the browser marked the call cross-site (`Sec-Fetch-Site: cross-site`, or a foreign `Origin` on POST).",
  detail: "only admins and auditors may do this",
};
const WRITE_FORBIDDEN: ErrorCase = {
  code: "forbidden",
  when: "Signed in, but not as an admin; or a session call came from another origin.",
  detail: "only admins may do this",
};
const BAD_FILTER = invalid(
  "A filter is malformed: `since`/`until` must be RFC 3339 with an offset, `type` an event type or a `prefix.*`, `actor` a kind or `kind:id`.",
  [{ path: "query.since", message: "Invalid ISO datetime" }],
);

const HASH_1 = "5c1f0e9d7b3a2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6";
const HASH_2 = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d";
const EVENT = {
  seq: 1842,
  type: "request.approved",
  actor: `user:${ex.IDS.user}`,
  request_id: ex.IDS.request,
  agent_id: ex.IDS.agent,
  occurred_at: "2026-11-23T04:01:12.345Z",
  data: { reason: "Matches ticket #4521", approvals: 1 },
  prev_hash: HASH_1,
  hash: HASH_2,
};
const CHECKPOINT = {
  seq: 1842,
  head_hash: HASH_2,
  event_count: 1842,
  kid: "k_8Yb2kQm4Zx1P",
  created_at: "2026-11-23T05:00:00.000Z",
  token:
    "eyJhbGciOiJFZERTQSIsImtpZCI6ImtfOFliMmtRbTRaeDFQIiwidHlwIjoiY291bnRlcnNpZ24tY2hlY2twb2ludCtqd3QifQ.eyJzZXEiOiIxODQyIiwiaGVhZF9oYXNoIjoiOWU4ZC4uLiIsImV2ZW50X2NvdW50IjoiMTg0MiJ9.c2lnbmF0dXJl",
};
const INTACT = {
  ok: true,
  events: 1842,
  from_seq: 1,
  head_seq: 1842,
  head_hash: HASH_2,
  checkpoints: 3,
  broken_at: null,
  kind: null,
  reason: null,
  unsealed_events: 2,
  oldest_unsealed_at: "2026-11-23T09:30:00.041Z",
};
const BROKEN = {
  ok: false,
  events: 1199,
  from_seq: null,
  head_seq: null,
  head_hash: null,
  checkpoints: 1,
  broken_at: 1200,
  kind: "edited" as const,
  reason: "event content does not match its hash",
  unsealed_events: 0,
  oldest_unsealed_at: null,
};
const TRUNCATED = {
  ok: false,
  events: 1700,
  from_seq: null,
  head_seq: null,
  head_hash: null,
  checkpoints: 2,
  broken_at: 1701,
  kind: "truncated" as const,
  reason: "checkpoint at event 1842 (2026-11-23T05:00:00.000Z) was signed, but the chain ends at event 1700: events removed from the end",
  unsealed_events: 0,
  oldest_unsealed_at: null,
};

async function retentionObject() {
  const [policy, start] = await Promise.all([getRetention(), getChainStart()]);
  return { days: policy?.days ?? null, chain_start_seq: Number(start.seq) };
}

/** The query's filter, with `who` (a name or email) resolved to the actors it names. */
async function namedFilter(query: Parameters<typeof eventFilter>[0] & { who?: string }) {
  return { ...eventFilter(query), ...(query.who ? { actorIn: await actorsNamed(query.who) } : {}) };
}

const listAuditEventsRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/audit/events",
  access: READERS,
  query: AuditEventsQuery,
  docs: {
    operationId: "listAuditEvents",
    summary: "List audit events",
    description:
      "Events matching the filters, newest first, `limit` per page; pass `next_cursor` as `cursor` for the next page. Time bounds are half-open: `since` inclusive, `until` exclusive.",
    tags,
    responses: {
      200: {
        description: "A page of events.",
        content: jsonContent(AuditEventList, {
          page: { value: { data: [EVENT], next_cursor: "1842", actors: { [EVENT.actor]: "Bob Reviewer (bob@example.com)" } } },
        }),
      },
      ...errors(ADMIN_UNAUTHENTICATED, READ_FORBIDDEN, BAD_FILTER, UNAVAILABLE),
    },
  },
  async handler({ query }) {
    // What was recorded before this call is chained before it is read.
    await awaitSealed();
    const filter = await namedFilter(query);
    const page = await listEvents(filter, { limit: query.limit, before: query.cursor ? BigInt(query.cursor) : undefined });
    const data = page.events.map(eventObject);
    return json({ data, next_cursor: page.nextCursor?.toString() ?? null, actors: await actorNames(data.map((e) => e.actor)) });
  },
});

const getAuditEventRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/audit/events/{seq}",
  access: READERS,
  docs: {
    operationId: "getAuditEvent",
    summary: "Get an audit event",
    description: "One event with its full data and its place in the chain (`seq`, `prev_hash`, `hash`).",
    tags,
    request: { params: pathParams({ seq: { description: "The event's position in the chain.", example: "1842" } }) },
    responses: {
      200: { description: "The event.", content: jsonContent(AuditEventObject, { event: { value: EVENT } }) },
      ...errors(
        ADMIN_UNAUTHENTICATED,
        READ_FORBIDDEN,
        { code: "not_found", when: "No event has this seq.", detail: "no such event" },
        invalid("`seq` is not a positive integer.", [{ path: "path.seq", message: "a positive integer" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ params }) {
    // What was recorded before this call is chained before it is read.
    await awaitSealed();
    const { seq } = parseWith(AuditEventSeqParam, params, "path");
    const event = await getEvent(BigInt(seq));
    if (!event) throw new AppError("not_found", "no such event");
    return json(eventObject(event));
  },
});

/** Pages are read from the database as the client consumes the body, never the whole range at once. */
const exportAuditEventsRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/audit/export",
  access: READERS,
  query: AuditExportQuery,
  streams: true,
  docs: {
    operationId: "exportAuditEvents",
    summary: "Export audit events",
    description:
      "Every event matching the filters, in chain order, as JSON lines (one event object a line, like `GET /api/v1/admin/audit/events/{seq}`) or CSV (RFC 4180 with a header row; `data` as JSON text; values a spreadsheet would run as formulas are prefixed with `'`). The body is streamed as it is read from the database, so any range can be exported; `Content-Disposition` names the file. `since` is inclusive and `until` exclusive: consecutive ranges export each event once. The same as `countersign audit export`.",
    tags,
    responses: {
      200: {
        description: "The events, streamed.",
        headers: z.object({
          "Content-Disposition": z.string().openapi({ example: 'attachment; filename="countersign-audit-2026-11-23T05-00-00-000Z.jsonl"' }),
        }),
        content: {
          "application/x-ndjson": { schema: z.string(), examples: { jsonl: { value: `${JSON.stringify(EVENT)}\n` } } },
          "text/csv": {
            schema: z.string(),
            examples: {
              csv: {
                value: `seq,occurred_at,type,actor,request_id,agent_id,data,prev_hash,hash\r\n1842,2026-11-23T04:01:12.345Z,request.approved,user:${ex.IDS.user},${ex.IDS.request},${ex.IDS.agent},"{""reason"":""Matches ticket #4521"",""approvals"":1}",${HASH_1},${HASH_2}\r\n`,
              },
            },
          },
        },
      },
      ...errors(ADMIN_UNAUTHENTICATED, READ_FORBIDDEN, BAD_FILTER, UNAVAILABLE),
    },
  },
  async handler({ query }) {
    // What was recorded before this call is chained before it is read.
    await awaitSealed();
    const lines = exportLines(await namedFilter(query), query.format);
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
        "content-type": query.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
        "content-disposition": `attachment; filename="countersign-audit-${stamp}.${query.format}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  },
});

const verifyAuditChainRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/audit/verify",
  access: READERS,
  streams: true,
  docs: {
    operationId: "verifyAuditChain",
    summary: "Verify the audit chain",
    description:
      "Recomputes every event's hash from the first event to the current head, reading in batches so memory stays flat, and checks the chain against every signed checkpoint. Answers `ok: true` and the head (\"intact up to event N\"), or the first broken link: `edited` (content or link does not match its hash, or a checkpoint's hash), `missing` (a deleted event), `out_of_order`, or `truncated` (events cut from the end, found through a checkpoint that signed a longer chain). Events recorded but not yet chained by the sealer (normally a fraction of a second behind; the call first waits for what was committed before it) are reported as `unsealed_events`, outside the verdict. The same as `countersign audit verify`. Takes no body. Send `Accept: application/x-ndjson` to follow its progress: the answer is then streamed as JSON lines, one `progress` line per batch of 5,000 events and the `result` last.",
    tags,
    responses: {
      200: {
        description: "The verification result (a broken chain is still a 200: the verification itself succeeded).",
        content: {
          ...jsonContent(ChainVerificationObject, { intact: { value: INTACT }, edited: { value: BROKEN }, truncated: { value: TRUNCATED } }),
          "application/x-ndjson": {
            schema: z.string().openapi({ description: "With `Accept: application/x-ndjson`: a `progress` line after each batch, then the `result`." }),
            examples: {
              progress: {
                value: `${JSON.stringify({ progress: { verified: 1000, head_seq: 1842 } })}\n${JSON.stringify({ progress: { verified: 1842, head_seq: 1842 } })}\n${JSON.stringify({ result: INTACT })}\n`,
              },
            },
          },
        },
      },
      ...errors(ADMIN_UNAUTHENTICATED, READ_FORBIDDEN, UNAVAILABLE),
    },
  },
  async handler({ req }) {
    // What was recorded before this call is chained before it is read.
    await awaitSealed();
    if (!/\bapplication\/x-ndjson\b/.test(req.headers.get("accept") ?? "")) return json(verificationObject(await verifyChain()));
    const encoder = new TextEncoder();
    const line = (o: unknown) => encoder.encode(`${JSON.stringify(o)}\n`);
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          const result = await verifyChain({
            onProgress: (verified, headSeq) => controller.enqueue(line({ progress: { verified, head_seq: Number(headSeq) } })),
          });
          controller.enqueue(line({ result: verificationObject(result) }));
          controller.close();
        } catch (err) {
          controller.error(err);
        }
      },
    });
    return new Response(body, {
      headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" },
    });
  },
});

const listAuditCheckpointsRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/audit/checkpoints",
  access: READERS,
  docs: {
    operationId: "listAuditCheckpoints",
    summary: "List signed checkpoints",
    description:
      "The latest 500 checkpoints, newest first. Each `token` is a compact JWT (`typ` `countersign-checkpoint+jwt`, EdDSA) signed with the grant signing key named by `kid`: verify it against `/.well-known/jwks.json`. Keep copies elsewhere: a chain that ends before a checkpoint, or reaches it with another hash, was rewritten. `countersign audit checkpoints` exports them all.",
    tags,
    responses: {
      200: { description: "Checkpoints.", content: jsonContent(AuditCheckpointList, { checkpoints: { value: { data: [CHECKPOINT] } } }) },
      ...errors(ADMIN_UNAUTHENTICATED, READ_FORBIDDEN, UNAVAILABLE),
    },
  },
  async handler() {
    return json({ data: (await listCheckpoints({ limit: 500 })).map(checkpointObject) });
  },
});

const createAuditCheckpointRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/audit/checkpoints",
  access: ADMINS,
  docs: {
    operationId: "createAuditCheckpoint",
    summary: "Create a checkpoint now",
    description:
      "Signs the current chain head and records it (the app also does this every `COUNTERSIGN_AUDIT_CHECKPOINT_SECONDS`). 201 when created; 200 with `created: false` when this head is already checkpointed, so calling it twice, or from several instances, records one checkpoint per head. A checkpoint is not itself an audit event: it would move the head it signs. Takes no body.",
    tags,
    responses: {
      200: {
        description: "This head was already checkpointed (or the chain is empty).",
        content: jsonContent(CreatedCheckpoint, { existing: { value: { checkpoint: CHECKPOINT, created: false } } }),
      },
      201: { description: "Created.", content: jsonContent(CreatedCheckpoint, { created: { value: { checkpoint: CHECKPOINT, created: true } } }) },
      ...errors(ADMIN_UNAUTHENTICATED, WRITE_FORBIDDEN, UNAVAILABLE),
    },
  },
  async handler() {
    // What was recorded before this call is chained before it is read.
    await awaitSealed();
    const r = await createCheckpoint();
    return json({ checkpoint: r.checkpoint && checkpointObject(r.checkpoint), created: r.created }, { status: r.created ? 201 : 200 });
  },
});

const getAuditRetentionRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/audit/retention",
  access: READERS,
  docs: {
    operationId: "getAuditRetention",
    summary: "The retention policy",
    description: "How long audit events are kept. Without a policy (`days: null`, the default) nothing is ever deleted.",
    tags,
    responses: {
      200: {
        description: "The policy.",
        content: jsonContent(AuditRetentionObject, {
          forever: { value: { days: null, chain_start_seq: 1 } },
          year: { value: { days: 365, chain_start_seq: 48_211 } },
        }),
      },
      ...errors(ADMIN_UNAUTHENTICATED, READ_FORBIDDEN, UNAVAILABLE),
    },
  },
  async handler() {
    return json(await retentionObject());
  },
});

const setAuditRetentionRoute = defineRoute({
  method: "PUT",
  path: "/api/v1/admin/audit/retention",
  access: ADMINS,
  body: AuditRetentionBody,
  docs: {
    operationId: "setAuditRetention",
    summary: "Set the retention policy",
    description:
      "Keep events `days` days, or `null` to keep everything. Recorded as a chained `audit.retention_set` event. The app applies the policy with each checkpoint: events older than the policy are deleted from the start of the chain (never from the middle), and the deletion is itself a chained `audit.events_deleted` event recording the range and the hash at the cut, so verification accepts exactly that cut and still detects any other deletion.",
    tags,
    request: { bodyExamples: { year: { value: { days: 365 } }, off: { value: { days: null } } } },
    responses: {
      200: { description: "The policy after the change.", content: jsonContent(AuditRetentionObject, { year: { value: { days: 365, chain_start_seq: 1 } } }) },
      ...errors(
        ADMIN_UNAUTHENTICATED,
        WRITE_FORBIDDEN,
        TOO_LARGE,
        invalid("`days` is not a whole number from 1 to 36,500 or null.", [{ path: "days", message: "Too small: expected number to be >=1" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, body }) {
    await setRetention(body.days, admin.actor);
    return json(await retentionObject());
  },
});

const applyAuditRetentionRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/audit/retention/apply",
  access: ADMINS,
  docs: {
    operationId: "applyAuditRetention",
    summary: "Apply the retention policy now",
    description: "Deletes the events older than the policy now instead of at the next checkpoint. Does nothing without a policy. Takes no body.",
    tags,
    responses: {
      200: {
        description: "What was deleted.",
        content: jsonContent(AuditRetentionApplied, {
          deleted: { value: { deleted: 48_210, from_seq: 1, through_seq: 48_210 } },
          nothing: { value: { deleted: 0, from_seq: null, through_seq: null } },
        }),
      },
      ...errors(ADMIN_UNAUTHENTICATED, WRITE_FORBIDDEN, UNAVAILABLE),
    },
  },
  async handler({ admin }) {
    const r = await applyRetention(admin.actor);
    return json({
      deleted: r.deleted,
      from_seq: r.fromSeq === null ? null : Number(r.fromSeq),
      through_seq: r.throughSeq === null ? null : Number(r.throughSeq),
    });
  },
});

export const auditRoutes = [
  listAuditEventsRoute,
  getAuditEventRoute,
  exportAuditEventsRoute,
  verifyAuditChainRoute,
  listAuditCheckpointsRoute,
  createAuditCheckpointRoute,
  getAuditRetentionRoute,
  setAuditRetentionRoute,
  applyAuditRetentionRoute,
];
