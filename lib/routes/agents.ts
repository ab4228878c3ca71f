import "server-only";
import { toAgentObject, toKeyObject } from "../agents/agent-view.ts";
import { createAgent } from "../agents/create-agent.ts";
import { issueAgentKey, listAgentKeys, revokeAgentKey } from "../agents/keys-admin.ts";
import type { BulkSelector } from "../agents/agent-selector.ts";
import { getAgentSummaries, getAgentSummary, listAgents } from "../agents/list-agents.ts";
import { resumeAgent, resumeAgents } from "../agents/resume-agent.ts";
import { retireAgent } from "../agents/retire-agent.ts";
import { suspendAgent, suspendAgents } from "../agents/suspend-agent.ts";
import { updateAgent } from "../agents/update-agent.ts";
import { rotateCallbackSecret } from "../delivery/deliveries.ts";
import { AppError } from "../errors.ts";
import { json } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import {
  ADMIN_FORBIDDEN,
  ADMIN_UNAUTHENTICATED,
  type ErrorCase,
  errors,
  invalid,
  jsonContent,
  pathParams,
  roleForbidden,
  TOO_LARGE,
  UNAVAILABLE,
} from "../openapi/components.ts";
import * as ex from "../openapi/examples.ts";
import { AgentStatusBody, BulkAgentsBody, CreateAgentBody, IssueKeyBody, UpdateAgentBody } from "../schemas/admin.ts";
import {
  AgentDetail,
  AgentList,
  BulkResumeResult,
  BulkSuspendResult,
  CreatedAgent,
  IssuedKey,
  KeyList,
  KeyObject,
  ResumedAgent,
  type SkippedAgent,
  StoppedAgent,
} from "../schemas/admin-objects.ts";
import { RotatedSecret } from "../schemas/webhooks.ts";

/*
 * The agent inventory for admins (auditors may read): registering, editing,
 * the kill switch (suspend, resume, retire), keys and callback secrets. An
 * admin's (or auditor's) session, or an admin API token with `agents:read`
 * or `agents:write`, so provisioning and incident tooling can be automated.
 */

const tags = ["Agents and keys"];
const READ = { admin: ["admin", "auditor"], scope: "agents:read" } as const;
const WRITE = { admin: ["admin"], scope: "agents:write" } as const;
/** The kill switch (suspend, resume; one agent or many): admins, or a token with `agents:write`, so incident scripts can pull it. */
const KILL_SWITCH = WRITE;
const READ_ERRORS = [ADMIN_UNAUTHENTICATED, roleForbidden("admins and auditors", false)];
const WRITE_ERRORS = [ADMIN_UNAUTHENTICATED, roleForbidden("admins")];
const AGENT_NOT_FOUND: ErrorCase = { code: "not_found", when: "No such agent.", detail: "no such agent" };
const agentIdParam = { id: { description: "The agent's id (`agt_…`).", example: ex.IDS.agent } };
const agentId = pathParams(agentIdParam);
const DAY_MS = 86_400_000;
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** A JSON body that may be left out entirely (`POST …/suspend` with no reason): empty counts as `{}`. */
async function agentWithKeys(id: string) {
  const agent = await getAgentSummary(id);
  if (!agent) throw new AppError("not_found", "no such agent");
  const keys = await listAgentKeys(agent.id);
  return { ...toAgentObject(agent), keys: keys.map((k) => toKeyObject(k)) };
}

const stopped = {
  value: {
    agent: { ...ex.AGENT, status: "suspended" as const, requests: { pending: 0, total: 214 } },
    cancelled_requests: [ex.IDS.request],
    revoked_grants: 1,
  },
};

const listAgentsRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/agents",
  access: READ,
  docs: {
    operationId: "listAgents",
    summary: "List agents",
    description: "Every registered agent with its status, live keys and request counts.",
    tags,
    responses: {
      200: { description: "The agents.", content: jsonContent(AgentList, { agents: { value: { data: [ex.AGENT] } } }) },
      ...errors(...READ_ERRORS, UNAVAILABLE),
    },
  },
  async handler() {
    return json({ data: (await listAgents()).map((a) => toAgentObject(a)) });
  },
});

const createAgentRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/agents",
  access: WRITE,
  body: CreateAgentBody,
  docs: {
    operationId: "createAgent",
    summary: "Register an agent",
    description:
      "Registers an agent and issues its first key, which is in this answer only: give it to the agent as `COUNTERSIGN_AGENT_KEY`. The `owner` is the person answerable for it; unless a rule allows it, they may not approve its requests.",
    tags,
    request: {
      bodyExamples: {
        agent: {
          value: {
            name: "billing-agent",
            description: "Handles refunds and credits for the support team",
            owner: "dana@example.com",
            tags: ["finance"],
            key_expires_in_days: 365,
          },
        },
      },
    },
    responses: {
      201: {
        description: "Registered; the key is shown once.",
        content: jsonContent(CreatedAgent, {
          created: {
            value: {
              agent: { ...ex.AGENT, last_seen_at: null, requests: { pending: 0, total: 0 } },
              key: ex.AGENT_KEY,
              key_id: ex.IDS.key,
              callback_secret: SECRET,
            },
          },
        }),
      },
      ...errors(
        ...WRITE_ERRORS,
        { code: "conflict", when: "An agent with this name exists.", detail: "an agent named billing-agent already exists" },
        TOO_LARGE,
        invalid("The body breaks the schema.", [{ path: "name", message: "a-z, 0-9, _ . - (at most 64), starting with a letter or digit" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, body: b }) {
    const created = await createAgent({
      name: b.name,
      description: b.description ?? null,
      ownerEmail: b.owner ?? null,
      trustLevel: b.trust_level,
      tags: b.tags ?? [],
      keyExpiresAt: b.key_expires_in_days ? new Date(Date.now() + b.key_expires_in_days * DAY_MS) : null,
      actor: admin.actor,
    });
    const agent = await getAgentSummary(created.agentId);
    return json({ agent: agent && toAgentObject(agent), key: created.key, key_id: created.keyId, callback_secret: created.callbackSecret }, { status: 201 });
  },
});

const getAgentRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/agents/{id}",
  access: READ,
  docs: {
    operationId: "getAgent",
    summary: "Get an agent",
    description: "One agent with its keys (ids and dates, never secrets).",
    tags,
    request: { params: agentId },
    responses: {
      200: { description: "The agent.", content: jsonContent(AgentDetail, { agent: { value: { ...ex.AGENT, keys: [ex.KEY] } } }) },
      ...errors(...READ_ERRORS, AGENT_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ params }) {
    return json(await agentWithKeys(params.id));
  },
});

const updateAgentRoute = defineRoute({
  method: "PATCH",
  path: "/api/v1/admin/agents/{id}",
  access: WRITE,
  body: UpdateAgentBody,
  docs: {
    operationId: "updateAgent",
    summary: "Edit an agent",
    description:
      'Changes the description, owner (`""` or `null` clears it), trust level or tags; send only what changes. The audit event records before and after. The name is the agent\'s identity and cannot change.',
    tags,
    request: { params: agentId, bodyExamples: { tags: { value: { tags: ["finance", "refunds"], trust_level: "elevated" } } } },
    responses: {
      200: {
        description: "The agent after the change.",
        content: jsonContent(AgentDetail, { updated: { value: { ...ex.AGENT, tags: ["finance", "refunds"], trust_level: "elevated", keys: [ex.KEY] } } }),
      },
      ...errors(
        ...WRITE_ERRORS,
        AGENT_NOT_FOUND,
        TOO_LARGE,
        invalid("The body breaks the schema, or changes nothing.", [{ path: "(body)", message: "change at least one field" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, params, body: b }) {
    await updateAgent({
      agentId: params.id,
      changes: {
        description: b.description,
        ownerEmail: b.owner === "" ? null : b.owner,
        trustLevel: b.trust_level,
        tags: b.tags,
      },
      actor: admin.actor,
    });
    return json(await agentWithKeys(params.id));
  },
});

const suspendAgentRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/agents/{id}/suspend",
  access: KILL_SWITCH,
  body: AgentStatusBody,
  bodyOptional: true,
  docs: {
    operationId: "suspendAgent",
    summary: "Suspend an agent (kill switch)",
    description:
      "Stops the agent at once, in one transaction: its keys are refused (`403 agent_suspended`), its pending requests are cancelled and its unredeemed grants revoked, so nothing it was approved for can still run. Reversible with resume. Admins, or an admin API token; served from connections kept apart from agents' calls, so it works while agents flood the server.",
    tags,
    request: { params: agentId, bodyExamples: { reason: { value: { reason: "Refund loop in production; investigating" } } } },
    responses: {
      200: { description: "Suspended; what was cancelled and revoked.", content: jsonContent(StoppedAgent, { suspended: stopped }) },
      ...errors(
        ADMIN_UNAUTHENTICATED,
        ADMIN_FORBIDDEN,
        AGENT_NOT_FOUND,
        { code: "conflict", when: "The agent is already suspended, or retired.", detail: "agent billing-agent is already suspended" },
        TOO_LARGE,
        invalid("The body breaks the schema."),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, params, body }) {
    const result = await suspendAgent({ agentId: params.id, reason: body.reason ?? null, actor: admin.actor });
    const agent = await getAgentSummary(result.agentId);
    return json({ agent: agent && toAgentObject(agent), cancelled_requests: result.cancelledRequests, revoked_grants: result.revokedGrants });
  },
});

const resumeAgentRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/agents/{id}/resume",
  access: KILL_SWITCH,
  body: AgentStatusBody,
  bodyOptional: true,
  docs: {
    operationId: "resumeAgent",
    summary: "Resume an agent",
    description: "Lets a suspended agent's keys work again. Requests cancelled by the suspension stay cancelled.",
    tags,
    request: { params: agentId, bodyExamples: { reason: { value: { reason: "Fixed in release 2026.11.3" } } } },
    responses: {
      200: { description: "Active again.", content: jsonContent(ResumedAgent, { resumed: { value: { agent: ex.AGENT } } }) },
      ...errors(
        ADMIN_UNAUTHENTICATED,
        ADMIN_FORBIDDEN,
        AGENT_NOT_FOUND,
        { code: "conflict", when: "The agent is not suspended.", detail: "agent billing-agent is active, not suspended" },
        TOO_LARGE,
        invalid("The body breaks the schema."),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, params, body }) {
    const result = await resumeAgent({ agentId: params.id, reason: body.reason ?? null, actor: admin.actor });
    const agent = await getAgentSummary(result.agentId);
    return json({ agent: agent && toAgentObject(agent) });
  },
});

const retireAgentRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/agents/{id}/retire",
  access: WRITE,
  body: AgentStatusBody,
  bodyOptional: true,
  docs: {
    operationId: "retireAgent",
    summary: "Retire an agent",
    description:
      "Retires the agent for good: its keys answer 401 from now on; pending requests are cancelled and grants revoked as for a suspension. Its history stays.",
    tags,
    request: { params: agentId, bodyExamples: { reason: { value: { reason: "Replaced by billing-agent-v2" } } } },
    responses: {
      200: {
        description: "Retired; what was cancelled and revoked.",
        content: jsonContent(StoppedAgent, {
          retired: { value: { ...stopped.value, agent: { ...stopped.value.agent, status: "retired" as const, live_keys: 0 } } },
        }),
      },
      ...errors(
        ...WRITE_ERRORS,
        AGENT_NOT_FOUND,
        { code: "conflict", when: "The agent is already retired.", detail: "agent billing-agent is retired" },
        TOO_LARGE,
        invalid("The body breaks the schema."),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, params, body }) {
    const result = await retireAgent({ agentId: params.id, reason: body.reason ?? null, actor: admin.actor });
    const agent = await getAgentSummary(result.agentId);
    return json({ agent: agent && toAgentObject(agent), cancelled_requests: result.cancelledRequests, revoked_grants: result.revokedGrants });
  },
});

const bulkErrors = [
  ADMIN_UNAUTHENTICATED,
  ADMIN_FORBIDDEN,
  TOO_LARGE,
  invalid("No selector, both selectors, an unknown field, or a reason over 500 characters.", [{ path: "tag", message: "give a tag, or all: true" }]),
  UNAVAILABLE,
];
const bulkSelector = (b: BulkAgentsBody): BulkSelector => (b.tag !== undefined ? { tag: b.tag } : { all: true });
const skippedView = (s: { agentId: string; name: string; status: SkippedAgent["status"] }[]): SkippedAgent[] =>
  s.map((a) => ({ agent_id: a.agentId, name: a.name, status: a.status }));
const BULK_WHO =
  "Every agent with the `tag`, or with `all: true` every agent; retired agents are never matched. The rows are locked in id order, so overlapping calls (a tag and all, or a single suspend) apply one after the other and never deadlock. Admins, or an admin API token.";

const suspendAgentsRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/agents/suspend",
  access: KILL_SWITCH,
  body: BulkAgentsBody,
  docs: {
    operationId: "suspendAgents",
    summary: "Suspend many agents (bulk kill switch)",
    description: `Incident containment in one call and one short transaction, whatever the number of agents: each matched active agent is suspended exactly as by the single kill switch (keys refused with \`403 agent_suspended\`, pending requests cancelled, unredeemed grants revoked, waiting agents answered \`cancelled\` at once), with one \`agent.suspended\` audit event per agent whose data carries the selector as \`bulk\` (\`{"tag": "finance"}\` or \`{"all": true}\`). Agents already suspended are listed under \`skipped\`, not an error; a selector that matches nothing answers empty lists. ${BULK_WHO}`,
    tags,
    request: {
      bodyExamples: {
        tag: { summary: "Every agent tagged finance", value: { tag: "finance", reason: "Refund fraud pattern across the finance agents; investigating" } },
        all: { summary: "Every agent", value: { all: true, reason: "Credential leak; stop everything" } },
      },
    },
    responses: {
      200: {
        description: "Suspended, with what was cancelled and revoked per agent; and the agents skipped.",
        content: jsonContent(BulkSuspendResult, {
          suspended: {
            value: {
              suspended: [
                { agent: { ...ex.AGENT, status: "suspended" as const, requests: { pending: 0, total: 214 } }, cancelled_requests: 3, revoked_grants: 1 },
              ],
              skipped: [{ agent_id: "agt_01k9w2f3a8s6d4f2g7h9j1k3lm", name: "invoice-agent", status: "suspended" as const }],
            },
          },
          none: { summary: "Nothing matched", value: { suspended: [], skipped: [] } },
        }),
      },
      ...errors(...bulkErrors),
    },
  },
  async handler({ admin, body }) {
    const { stopped, skipped } = await suspendAgents({ selector: bulkSelector(body), reason: body.reason ?? null, actor: admin.actor });
    const agents = await getAgentSummaries(stopped.map((s) => s.agentId));
    return json({
      suspended: stopped.flatMap((s) => {
        const agent = agents.get(s.agentId);
        return agent ? [{ agent: toAgentObject(agent), cancelled_requests: s.cancelledRequests.length, revoked_grants: s.revokedGrants }] : [];
      }),
      skipped: skippedView(skipped),
    });
  },
});

const resumeAgentsRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/agents/resume",
  access: KILL_SWITCH,
  body: BulkAgentsBody,
  docs: {
    operationId: "resumeAgents",
    summary: "Resume many agents",
    description: `The incident is over: each matched suspended agent's keys work again, in one transaction, with one \`agent.resumed\` audit event per agent carrying the selector as \`bulk\`. Requests cancelled by the suspension stay cancelled. Active agents are listed under \`skipped\`. ${BULK_WHO}`,
    tags,
    request: {
      bodyExamples: {
        tag: { summary: "Every agent tagged finance", value: { tag: "finance", reason: "Fraud pattern explained; keys rotated" } },
        all: { summary: "Every agent", value: { all: true } },
      },
    },
    responses: {
      200: {
        description: "Resumed; and the agents skipped.",
        content: jsonContent(BulkResumeResult, {
          resumed: {
            value: {
              resumed: [{ agent: ex.AGENT }],
              skipped: [{ agent_id: "agt_01k9w2f3a8s6d4f2g7h9j1k3lm", name: "invoice-agent", status: "active" as const }],
            },
          },
        }),
      },
      ...errors(...bulkErrors),
    },
  },
  async handler({ admin, body }) {
    const { resumed, skipped } = await resumeAgents({ selector: bulkSelector(body), reason: body.reason ?? null, actor: admin.actor });
    const agents = await getAgentSummaries(resumed.map((r) => r.agentId));
    return json({
      resumed: resumed.flatMap((r) => {
        const agent = agents.get(r.agentId);
        return agent ? [{ agent: toAgentObject(agent) }] : [];
      }),
      skipped: skippedView(skipped),
    });
  },
});

const listAgentKeysRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/agents/{id}/keys",
  access: READ,
  docs: {
    operationId: "listAgentKeys",
    summary: "List an agent's keys",
    description: "Key ids and dates; never secrets.",
    tags,
    request: { params: agentId },
    responses: {
      200: { description: "The keys, live and not.", content: jsonContent(KeyList, { keys: { value: { data: [ex.KEY] } } }) },
      ...errors(...READ_ERRORS, AGENT_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ params }) {
    const agent = await getAgentSummary(params.id);
    if (!agent) throw new AppError("not_found", "no such agent");
    return json({ data: (await listAgentKeys(agent.id)).map((k) => toKeyObject(k)) });
  },
});

const issueAgentKeyRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/agents/{id}/keys",
  access: WRITE,
  body: IssueKeyBody,
  bodyOptional: true,
  docs: {
    operationId: "issueAgentKey",
    summary: "Issue a key (rotate)",
    description:
      "Issues another key for the agent; the key is in this answer only. Older keys keep working until revoked, so rotation is: issue, deploy the new key, revoke the old one.",
    tags,
    request: {
      params: agentId,
      bodyExamples: {
        expiring: { summary: "Expires in 90 days", value: { expires_in_days: 90 } },
        forever: { summary: "Never expires", value: {} },
      },
    },
    responses: {
      201: {
        description: "Issued; the key is shown once.",
        content: jsonContent(IssuedKey, { issued: { value: { key_id: ex.IDS.key, key: ex.AGENT_KEY, expires_at: "2027-02-21T04:00:00.000Z" } } }),
      },
      ...errors(
        ...WRITE_ERRORS,
        AGENT_NOT_FOUND,
        {
          code: "conflict",
          when: "The agent is retired, or already has the maximum number of live keys.",
          detail: "agent billing-agent already has 5 live keys; revoke one first",
        },
        TOO_LARGE,
        invalid("The body breaks the schema."),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, params, body: b }) {
    const expiresAt = b.expires_in_days ? new Date(Date.now() + b.expires_in_days * DAY_MS) : null;
    const issued = await issueAgentKey({ agentId: params.id, expiresAt, actor: admin.actor });
    return json({ key_id: issued.keyId, key: issued.key, expires_at: issued.expiresAt?.toISOString() ?? null }, { status: 201 });
  },
});

const revokeAgentKeyRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/agents/{id}/keys/{keyId}/revoke",
  access: WRITE,
  docs: {
    operationId: "revokeAgentKey",
    summary: "Revoke a key",
    description: "The key's next call answers 401. Other keys of the agent are unaffected.",
    tags,
    request: { params: pathParams({ ...agentIdParam, keyId: { description: "The key's id (from the key list).", example: ex.IDS.key } }) },
    responses: {
      200: {
        description: "The key, now revoked.",
        content: jsonContent(KeyObject, { revoked: { value: { ...ex.KEY, revoked_at: "2026-11-23T05:00:00.000Z", live: false } } }),
      },
      ...errors(
        ...WRITE_ERRORS,
        { code: "not_found", when: "No such agent, or no such key for it.", detail: "no such key for this agent" },
        { code: "conflict", when: "The key is already revoked.", detail: "the key is already revoked" },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, params }) {
    const key = await revokeAgentKey({ agentId: params.id, keyId: params.keyId, actor: admin.actor });
    return json(toKeyObject(key));
  },
});

const rotateCallbackSecretRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/agents/{id}/callback-secret",
  access: WRITE,
  docs: {
    operationId: "rotateAgentCallbackSecret",
    summary: "Rotate an agent's callback secret",
    description:
      "Replaces the secret that signs `request.decided` to the `callback_url` of the agent's requests (Standard Webhooks); the new secret is in this answer only. Agents registered before callbacks existed get their first secret this way.",
    tags,
    request: { params: agentId },
    responses: {
      200: { description: "The new secret, shown once.", content: jsonContent(RotatedSecret, { rotated: { value: { secret: SECRET } } }) },
      ...errors(...WRITE_ERRORS, AGENT_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ admin, params }) {
    return json({ secret: await rotateCallbackSecret({ agentId: params.id, actor: admin.actor }) });
  },
});

export const agentAdminRoutes = [
  listAgentsRoute,
  createAgentRoute,
  getAgentRoute,
  updateAgentRoute,
  suspendAgentRoute,
  resumeAgentRoute,
  retireAgentRoute,
  suspendAgentsRoute,
  resumeAgentsRoute,
  listAgentKeysRoute,
  issueAgentKeyRoute,
  revokeAgentKeyRoute,
  rotateCallbackSecretRoute,
];
