import "server-only";
import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import {
  AgentStatusBody,
  CreateAgentBody,
  IssueKeyBody,
  UpdateAgentBody,
} from "../schemas/admin.ts";
import {
  AgentDetail,
  AgentList,
  CreatedAgent,
  IssuedKey,
  KeyList,
  KeyObject,
  ResumedAgent,
  StoppedAgent,
} from "../schemas/admin-objects.ts";
import { ContainmentSettings } from "../containment/rules.ts";
import { ContainmentView } from "../containment/view.ts";
import { ADMIN_AUTH, ADMIN_FORBIDDEN, ADMIN_UNAUTHENTICATED, body, type ErrorCase, errors, invalid, jsonContent, pathParams, SESSION_AUTH, SIGNED_OUT, TOO_LARGE, UNAVAILABLE, roleForbidden } from "./components.ts";
import * as ex from "./examples.ts";

/*
 * Agents and keys, and automatic containment. Agents and keys need an
 * admin's session (auditors may read); containment also takes an admin API
 * token. (Users, groups, access settings and admin tokens: lib/routes/people.ts.)
 */

const agentId = { id: { description: "The agent's id (`agt_…`).", example: ex.IDS.agent } };
const AGENT_NOT_FOUND: ErrorCase = { code: "not_found", when: "No such agent.", detail: "no such agent" };

const READ_ERRORS = [SIGNED_OUT, roleForbidden("admins and auditors", false)];
const WRITE_ERRORS = [SIGNED_OUT, roleForbidden("admins")];

type Operation = Omit<RouteConfig, "security">;

/** An operation that needs a session: reads for admins and auditors, writes for admins. */
function session(r: OpenAPIRegistry, op: Operation) {
  r.registerPath({ ...op, security: SESSION_AUTH });
}

/** A body that may be left out entirely (an empty body counts as `{}`). */
function optionalBody(schema: Parameters<typeof body>[0], examples: Parameters<typeof body>[1]) {
  return { ...body(schema, examples, "Optional: an empty body is the same as `{}`."), required: false };
}

export function registerAdminPaths(r: OpenAPIRegistry): void {
  registerAgentAdminPaths(r);
  registerContainmentPaths(r);
}

function registerAgentAdminPaths(r: OpenAPIRegistry): void {
  const tags = ["Agents and keys"];
  const stopped = { value: { agent: { ...ex.AGENT, status: "suspended" as const, requests: { pending: 0, total: 214 } }, cancelled_requests: [ex.IDS.request], revoked_grants: 1 } };

  session(r, {
    method: "get",
    path: "/api/v1/admin/agents",
    operationId: "listAgents",
    summary: "List agents",
    description: "Every registered agent with its status, live keys and request counts.",
    tags,
    responses: { 200: { description: "The agents.", content: jsonContent(AgentList, { agents: { value: { data: [ex.AGENT] } } }) }, ...errors(...READ_ERRORS, UNAVAILABLE) },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/agents",
    operationId: "createAgent",
    summary: "Register an agent",
    description:
      "Registers an agent and issues its first key, which is in this answer only: give it to the agent as `COUNTERSIGN_AGENT_KEY`. The `owner` is the person answerable for it; unless a rule allows it, they may not approve its requests.",
    tags,
    request: {
      body: body(CreateAgentBody, {
        agent: { value: { name: "billing-agent", description: "Handles refunds and credits for the support team", owner: "dana@example.com", tags: ["finance"], key_expires_in_days: 365 } },
      }),
    },
    responses: {
      201: { description: "Registered; the key is shown once.", content: jsonContent(CreatedAgent, { created: { value: { agent: { ...ex.AGENT, last_seen_at: null, requests: { pending: 0, total: 0 } }, key: ex.AGENT_KEY, key_id: ex.IDS.key, callback_secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } } }) },
      ...errors(...WRITE_ERRORS, { code: "conflict", when: "An agent with this name exists.", detail: "an agent named billing-agent already exists" }, TOO_LARGE, invalid("The body breaks the schema.", [{ path: "name", message: "a-z, 0-9, _ . - (at most 64), starting with a letter or digit" }]), UNAVAILABLE),
    },
  });
  session(r, {
    method: "get",
    path: "/api/v1/admin/agents/{id}",
    operationId: "getAgent",
    summary: "Get an agent",
    description: "One agent with its keys (ids and dates, never secrets).",
    tags,
    request: { params: pathParams(agentId) },
    responses: { 200: { description: "The agent.", content: jsonContent(AgentDetail, { agent: { value: { ...ex.AGENT, keys: [ex.KEY] } } }) }, ...errors(...READ_ERRORS, AGENT_NOT_FOUND, UNAVAILABLE) },
  });
  session(r, {
    method: "patch",
    path: "/api/v1/admin/agents/{id}",
    operationId: "updateAgent",
    summary: "Edit an agent",
    description: "Changes the description, owner (`\"\"` or `null` clears it), trust level or tags; send only what changes. The audit event records before and after. The name is the agent's identity and cannot change.",
    tags,
    request: { params: pathParams(agentId), body: body(UpdateAgentBody, { tags: { value: { tags: ["finance", "refunds"], trust_level: "elevated" } } }) },
    responses: {
      200: { description: "The agent after the change.", content: jsonContent(AgentDetail, { updated: { value: { ...ex.AGENT, tags: ["finance", "refunds"], trust_level: "elevated", keys: [ex.KEY] } } }) },
      ...errors(...WRITE_ERRORS, AGENT_NOT_FOUND, TOO_LARGE, invalid("The body breaks the schema, or changes nothing.", [{ path: "(body)", message: "change at least one field" }]), UNAVAILABLE),
    },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/agents/{id}/suspend",
    operationId: "suspendAgent",
    summary: "Suspend an agent (kill switch)",
    description:
      "Stops the agent at once, in one transaction: its keys are refused (`403 agent_suspended`), its pending requests are cancelled and its unredeemed grants revoked, so nothing it was approved for can still run. Reversible with resume.",
    tags,
    request: { params: pathParams(agentId), body: optionalBody(AgentStatusBody, { reason: { value: { reason: "Refund loop in production; investigating" } } }) },
    responses: {
      200: { description: "Suspended; what was cancelled and revoked.", content: jsonContent(StoppedAgent, { suspended: stopped }) },
      ...errors(...WRITE_ERRORS, AGENT_NOT_FOUND, { code: "conflict", when: "The agent is already suspended, or retired.", detail: "agent billing-agent is already suspended" }, TOO_LARGE, invalid("The body breaks the schema."), UNAVAILABLE),
    },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/agents/{id}/resume",
    operationId: "resumeAgent",
    summary: "Resume an agent",
    description: "Lets a suspended agent's keys work again. Requests cancelled by the suspension stay cancelled.",
    tags,
    request: { params: pathParams(agentId), body: optionalBody(AgentStatusBody, { reason: { value: { reason: "Fixed in release 2026.11.3" } } }) },
    responses: {
      200: { description: "Active again.", content: jsonContent(ResumedAgent, { resumed: { value: { agent: ex.AGENT } } }) },
      ...errors(...WRITE_ERRORS, AGENT_NOT_FOUND, { code: "conflict", when: "The agent is not suspended.", detail: "agent billing-agent is active, not suspended" }, TOO_LARGE, invalid("The body breaks the schema."), UNAVAILABLE),
    },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/agents/{id}/retire",
    operationId: "retireAgent",
    summary: "Retire an agent",
    description: "Retires the agent for good: its keys answer 401 from now on; pending requests are cancelled and grants revoked as for a suspension. Its history stays.",
    tags,
    request: { params: pathParams(agentId), body: optionalBody(AgentStatusBody, { reason: { value: { reason: "Replaced by billing-agent-v2" } } }) },
    responses: {
      200: { description: "Retired; what was cancelled and revoked.", content: jsonContent(StoppedAgent, { retired: { value: { ...stopped.value, agent: { ...stopped.value.agent, status: "retired" as const, live_keys: 0 } } } }) },
      ...errors(...WRITE_ERRORS, AGENT_NOT_FOUND, { code: "conflict", when: "The agent is already retired.", detail: "agent billing-agent is retired" }, TOO_LARGE, invalid("The body breaks the schema."), UNAVAILABLE),
    },
  });
  session(r, {
    method: "get",
    path: "/api/v1/admin/agents/{id}/keys",
    operationId: "listAgentKeys",
    summary: "List an agent's keys",
    description: "Key ids and dates; never secrets.",
    tags,
    request: { params: pathParams(agentId) },
    responses: { 200: { description: "The keys, live and not.", content: jsonContent(KeyList, { keys: { value: { data: [ex.KEY] } } }) }, ...errors(...READ_ERRORS, AGENT_NOT_FOUND, UNAVAILABLE) },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/agents/{id}/keys",
    operationId: "issueAgentKey",
    summary: "Issue a key (rotate)",
    description: "Issues another key for the agent; the key is in this answer only. Older keys keep working until revoked, so rotation is: issue, deploy the new key, revoke the old one.",
    tags,
    request: { params: pathParams(agentId), body: optionalBody(IssueKeyBody, { expiring: { summary: "Expires in 90 days", value: { expires_in_days: 90 } }, forever: { summary: "Never expires", value: {} } }) },
    responses: {
      201: { description: "Issued; the key is shown once.", content: jsonContent(IssuedKey, { issued: { value: { key_id: ex.IDS.key, key: ex.AGENT_KEY, expires_at: "2027-02-21T04:00:00.000Z" } } }) },
      ...errors(...WRITE_ERRORS, AGENT_NOT_FOUND, { code: "conflict", when: "The agent is retired, or already has the maximum number of live keys.", detail: "agent billing-agent already has 5 live keys; revoke one first" }, TOO_LARGE, invalid("The body breaks the schema."), UNAVAILABLE),
    },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/agents/{id}/keys/{keyId}/revoke",
    operationId: "revokeAgentKey",
    summary: "Revoke a key",
    description: "The key's next call answers 401. Other keys of the agent are unaffected.",
    tags,
    request: { params: pathParams({ ...agentId, keyId: { description: "The key's id (from the key list).", example: ex.IDS.key } }) },
    responses: {
      200: { description: "The key, now revoked.", content: jsonContent(KeyObject, { revoked: { value: { ...ex.KEY, revoked_at: "2026-11-23T05:00:00.000Z", live: false } } }) },
      ...errors(...WRITE_ERRORS, { code: "not_found", when: "No such agent, or no such key for it.", detail: "no such key for this agent" }, { code: "conflict", when: "The key is already revoked.", detail: "the key is already revoked" }, UNAVAILABLE),
    },
  });
}

/** Automatic containment: reads for admins and auditors, changes for admins; both also with an admin API token. */
function registerContainmentPaths(r: OpenAPIRegistry): void {
  const tags = ["Agents and keys"];
  const rules = {
    request_rate: { max_requests: 100, window_seconds: 60 },
    denial_rate: { max_ratio: 0.5, min_decisions: 10, window_seconds: 3600 },
  };
  const saved = { enabled: true, ...rules, agents: { names: [], tags: ["experimental"] }, updated_at: "2026-11-25T13:00:00.000Z" };
  const what =
    "When a rule is crossed, the agent is suspended exactly as by the kill switch (keys refused with 403 `agent_suspended`, pending requests cancelled, unredeemed grants revoked), by `system`, with a plain-language reason; its `agent.suspended` audit event (and webhook) carries that reason, and the event's data a `containment` object: `rule`, `observed`, `threshold`, `window_seconds`. The request rate is checked as each request is created; the denial rate (decisions by people and by policy) each time a request is denied. A resume starts both windows afresh. Suspended and retired agents are left alone.";
  r.registerPath({
    method: "get",
    path: "/api/v1/admin/containment",
    operationId: "getContainment",
    summary: "Automatic containment rules",
    description: `The rules that suspend an agent automatically; both null (the default) means containment is off. ${what}`,
    tags,
    security: ADMIN_AUTH,
    responses: {
      200: {
        description: "The rules.",
        content: jsonContent(ContainmentView, {
          off: { summary: "The default: off", value: { enabled: false, request_rate: null, denial_rate: null, agents: null, updated_at: null } },
          on: { value: saved },
        }),
      },
      ...errors(ADMIN_UNAUTHENTICATED, { code: "forbidden", when: "Signed in, but neither an admin nor an auditor.", detail: "only admins and auditors may do this" }, UNAVAILABLE),
    },
  });
  r.registerPath({
    method: "put",
    path: "/api/v1/admin/containment",
    operationId: "setContainment",
    summary: "Set automatic containment rules",
    description: `Replaces the rules (both null turns containment off); \`agents\` limits them to agents with one of these names or tags (omitted or null: every agent). Saved with a \`settings.containment_changed\` audit event holding before and after; other app instances apply the change within 5 seconds. ${what}`,
    tags,
    security: ADMIN_AUTH,
    request: {
      body: body(ContainmentSettings, {
        both: { summary: "Both rules, for agents tagged experimental", value: { ...rules, agents: { tags: ["experimental"] } } },
        rate: { summary: "Request rate only, every agent", value: { request_rate: rules.request_rate, denial_rate: null } },
        off: { summary: "Off", value: { request_rate: null, denial_rate: null } },
      }),
    },
    responses: {
      200: { description: "The saved rules.", content: jsonContent(ContainmentView, { saved: { value: saved } }) },
      ...errors(
        ADMIN_UNAUTHENTICATED,
        ADMIN_FORBIDDEN,
        TOO_LARGE,
        invalid("The body breaks the schema: a missing rule key (give null to turn a rule off), a number out of range, or an unknown field.", [
          { path: "denial_rate.max_ratio", message: "Too big: expected number to be <1" },
        ]),
        UNAVAILABLE,
      ),
    },
  });
}
