import "server-only";
import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import {
  AgentStatusBody,
  CreateAdminTokenBody,
  CreateAgentBody,
  CreateGroupBody,
  GroupMemberBody,
  InviteUserBody,
  IssueKeyBody,
  SsoSettingsBody,
  UpdateAgentBody,
  UpdateUserBody,
} from "../schemas/admin.ts";
import {
  AccessSettings,
  AgentDetail,
  AgentList,
  CreatedAdminToken,
  CreatedAgent,
  CreatedGroup,
  GroupList,
  GroupObject,
  InvitedUser,
  IssuedKey,
  KeyList,
  KeyObject,
  PasswordReset,
  ResumedAgent,
  RevokedAdminToken,
  SsoSettingsResult,
  StoppedAgent,
  UserList,
  UserObject,
} from "../schemas/admin-objects.ts";
import { ContainmentSettings } from "../containment/rules.ts";
import { ContainmentView } from "../containment/view.ts";
import { ADMIN_AUTH, ADMIN_FORBIDDEN, ADMIN_UNAUTHENTICATED, body, type ErrorCase, errors, invalid, jsonContent, pathParams, SESSION_AUTH, SIGNED_OUT, TOO_LARGE, UNAVAILABLE, roleForbidden } from "./components.ts";
import * as ex from "./examples.ts";

/*
 * Agents and keys, users and groups, access settings and admin tokens. These
 * need an admin's session (auditors may read); admin API tokens are for the
 * policy endpoints only.
 */

const agentId = { id: { description: "The agent's id (`agt_…`).", example: ex.IDS.agent } };
const userId = { id: { description: "The user's id (`usr_…`).", example: ex.IDS.user } };
const AGENT_NOT_FOUND: ErrorCase = { code: "not_found", when: "No such agent.", detail: "no such agent" };
const USER_NOT_FOUND: ErrorCase = { code: "not_found", when: "No such user.", detail: "no such user" };

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
  registerUserAdminPaths(r);
  registerAccessPaths(r);
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

function registerUserAdminPaths(r: OpenAPIRegistry): void {
  const tags = ["Users and groups"];
  const groupName = { name: { description: "The group's name.", example: "finance" } };
  const LAST_ADMIN: ErrorCase = { code: "conflict", when: "The change would leave no enabled admin, or an admin would disable themselves.", detail: "this is the last enabled admin; make someone else an admin first" };

  session(r, {
    method: "get",
    path: "/api/v1/admin/users",
    operationId: "listUsers",
    summary: "List users",
    description: "Every account, by email, with role, status and reviewer groups. Never password hashes.",
    tags,
    responses: { 200: { description: "The users.", content: jsonContent(UserList, { users: { value: { data: [ex.USER] } } }) }, ...errors(...READ_ERRORS, UNAVAILABLE) },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/users",
    operationId: "inviteUser",
    summary: "Invite a user",
    description: "Creates a local account and answers a one-time password, shown once, for the admin to hand over out of band (nothing is emailed). With single sign-on, people can instead sign in and get the default role.",
    tags,
    request: { body: body(InviteUserBody, { reviewer: { value: { email: "bob@example.com", role: "reviewer", name: "Bob Reviewer" } } }) },
    responses: {
      201: { description: "Created; the password is shown once.", content: jsonContent(InvitedUser, { invited: { value: { user: { ...ex.USER, groups: [], last_sign_in_at: null }, password: ex.ONE_TIME_PASSWORD } } }) },
      ...errors(...WRITE_ERRORS, { code: "conflict", when: "A user with this email exists.", detail: "a user with email bob@example.com already exists" }, TOO_LARGE, invalid("The body breaks the schema.", [{ path: "email", message: "must be an email address" }]), UNAVAILABLE),
    },
  });
  session(r, {
    method: "get",
    path: "/api/v1/admin/users/{id}",
    operationId: "getUser",
    summary: "Get a user",
    tags,
    description: "One account with role, status and groups.",
    request: { params: pathParams(userId) },
    responses: { 200: { description: "The user.", content: jsonContent(UserObject, { user: { value: ex.USER } }) }, ...errors(...READ_ERRORS, USER_NOT_FOUND, UNAVAILABLE) },
  });
  session(r, {
    method: "patch",
    path: "/api/v1/admin/users/{id}",
    operationId: "updateUser",
    summary: "Change role or disable",
    description: "Changes the role, and/or disables or re-enables the account. Disabling ends the user's sessions at once. There is always at least one enabled admin.",
    tags,
    request: { params: pathParams(userId), body: body(UpdateUserBody, { promote: { value: { role: "admin" } }, disable: { value: { disabled: true } } }) },
    responses: {
      200: { description: "The user after the change.", content: jsonContent(UserObject, { promoted: { value: { ...ex.USER, role: "admin" as const } } }) },
      ...errors(...WRITE_ERRORS, USER_NOT_FOUND, LAST_ADMIN, TOO_LARGE, invalid("The body breaks the schema, or changes nothing.", [{ path: "(body)", message: "change role or disabled" }]), UNAVAILABLE),
    },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/users/{id}/reset-password",
    operationId: "resetUserPassword",
    summary: "Reset a password",
    description: "Sets a new one-time password (answered once, for the admin to hand over) and ends every session the user holds.",
    tags,
    request: { params: pathParams(userId) },
    responses: {
      200: { description: "The new password, shown once.", content: jsonContent(PasswordReset, { reset: { value: { user_id: ex.IDS.user, password: ex.ONE_TIME_PASSWORD } } }) },
      ...errors(...WRITE_ERRORS, USER_NOT_FOUND, UNAVAILABLE),
    },
  });
  session(r, {
    method: "get",
    path: "/api/v1/admin/groups",
    operationId: "listGroups",
    summary: "List reviewer groups",
    description: "Reviewer groups with their members. Rules name groups (`reviewers.groups`) to say who may decide.",
    tags,
    responses: { 200: { description: "The groups.", content: jsonContent(GroupList, { groups: { value: { data: [ex.GROUP] } } }) }, ...errors(...READ_ERRORS, UNAVAILABLE) },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/groups",
    operationId: "createGroup",
    summary: "Create a group",
    description: "Creates an empty reviewer group. Names are lowercase: a-z, 0-9, `-` and `_`.",
    tags,
    request: { body: body(CreateGroupBody, { finance: { value: { name: "finance" } } }) },
    responses: {
      201: { description: "Created.", content: jsonContent(CreatedGroup, { created: { value: { id: ex.IDS.group, name: "finance", members: [] } } }) },
      ...errors(...WRITE_ERRORS, { code: "conflict", when: "A group with this name exists.", detail: "a group named finance already exists" }, TOO_LARGE, invalid("The body breaks the schema.", [{ path: "name", message: "a-z, 0-9, - and _ (at most 64)" }]), UNAVAILABLE),
    },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/groups/{name}/members",
    operationId: "addGroupMember",
    summary: "Add a member",
    description: "Puts a user in the group, by `user_id` or by `email`. Adding a member twice changes nothing.",
    tags,
    request: { params: pathParams(groupName), body: body(GroupMemberBody, { by_email: { value: { email: "carol@example.com" } }, by_id: { value: { user_id: ex.IDS.secondUser } } }) },
    responses: {
      200: { description: "The group with its members.", content: jsonContent(GroupObject, { group: { value: ex.GROUP } }) },
      ...errors(...WRITE_ERRORS, { code: "not_found", when: "No such group or user.", detail: "no group named finance" }, TOO_LARGE, invalid("The body breaks the schema."), UNAVAILABLE),
    },
  });
  session(r, {
    method: "delete",
    path: "/api/v1/admin/groups/{name}/members/{userId}",
    operationId: "removeGroupMember",
    summary: "Remove a member",
    description: "Takes a user out of the group. Removing a non-member changes nothing.",
    tags,
    request: { params: pathParams({ ...groupName, userId: { description: "The user's id (`usr_…`).", example: ex.IDS.secondUser } }) },
    responses: {
      200: { description: "The group with its remaining members.", content: jsonContent(GroupObject, { group: { value: { ...ex.GROUP, members: ex.GROUP.members.slice(0, 1) } } }) },
      ...errors(...WRITE_ERRORS, { code: "not_found", when: "No such group or user.", detail: "no group named finance" }, UNAVAILABLE),
    },
  });
}

function registerAccessPaths(r: OpenAPIRegistry): void {
  const tags = ["Access"];
  session(r, {
    method: "get",
    path: "/api/v1/admin/access",
    operationId: "getAccessSettings",
    summary: "Access settings",
    description: "Whether single sign-on is configured and the role it gives new accounts, and every admin API token (never its secret).",
    tags,
    responses: {
      200: { description: "The settings.", content: jsonContent(AccessSettings, { settings: { value: { sso: { enabled: true, default_role: "reviewer" as const }, tokens: [ex.ADMIN_TOKEN_INFO] } } }) },
      ...errors(...READ_ERRORS, UNAVAILABLE),
    },
  });
  session(r, {
    method: "put",
    path: "/api/v1/admin/access",
    operationId: "setSsoDefaultRole",
    summary: "Set single sign-on's default role",
    description: "The role of accounts that single sign-on creates at their first sign-in. Existing accounts keep theirs.",
    tags,
    request: { body: body(SsoSettingsBody, { auditor: { value: { default_role: "auditor" } } }) },
    responses: {
      200: { description: "The new setting.", content: jsonContent(SsoSettingsResult, { saved: { value: { sso: { enabled: true, default_role: "auditor" as const } } } }) },
      ...errors(...WRITE_ERRORS, TOO_LARGE, invalid("The role is not one of admin, reviewer, auditor.", [{ path: "default_role", message: 'Invalid option: expected one of "admin"|"reviewer"|"auditor"' }]), UNAVAILABLE),
    },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/tokens",
    operationId: "createAdminToken",
    summary: "Create an admin API token",
    description: "For automation, such as applying the policy file from CI (`Authorization: Bearer csa_…` on the policy endpoints). The token is in this answer only. Only a signed-in admin may create one: a token cannot mint tokens.",
    tags,
    request: { body: body(CreateAdminTokenBody, { ci: { value: { name: "policy-ci" } } }) },
    responses: {
      201: { description: "Created; the token is shown once.", content: jsonContent(CreatedAdminToken, { created: { value: { id: ex.IDS.adminToken, token: ex.ADMIN_TOKEN } } }) },
      ...errors(...WRITE_ERRORS, TOO_LARGE, invalid("The name is empty or longer than 100 characters.", [{ path: "name", message: "Too small: expected string to have >=1 characters" }]), UNAVAILABLE),
    },
  });
  session(r, {
    method: "post",
    path: "/api/v1/admin/tokens/{id}/revoke",
    operationId: "revokeAdminToken",
    summary: "Revoke an admin API token",
    description: "The token's next call answers 401. Revoking a revoked token changes nothing.",
    tags,
    request: { params: pathParams({ id: { description: "The token's id (the part between `csa_` and the secret).", example: ex.IDS.adminToken } }) },
    responses: {
      200: { description: "Revoked.", content: jsonContent(RevokedAdminToken, { revoked: { value: { id: ex.IDS.adminToken, revoked: true as const } } }) },
      ...errors(...WRITE_ERRORS, { code: "not_found", when: "No such token.", detail: "no such admin token" }, UNAVAILABLE),
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
