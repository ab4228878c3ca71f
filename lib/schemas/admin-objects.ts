import { AdminScope, Role } from "./admin.ts";
import { z } from "./zod.ts";

// What the admin endpoints answer (agents, keys, users, groups, access). The
// serializers (lib/agents/agent-view.ts, lib/users/user-view.ts) return these
// types, and test/api/openapi-responses.test.ts checks real answers against them.

const timestamp = z.string().openapi({ format: "date-time", example: "2026-11-23T04:00:00.000Z" });

export const AgentStatus = z.enum(["active", "suspended", "retired"]).openapi("AgentStatus", {
  description: "`suspended` agents get 403 `agent_suspended` and may be resumed; `retired` is final (their keys answer 401).",
});
export type AgentStatus = z.infer<typeof AgentStatus>;

export const AgentObject = z
  .object({
    id: z.string().openapi({ example: "agt_01jb7y8m2q3w4e5r6t7y8u9i0p" }),
    name: z.string(),
    description: z.string().nullable(),
    owner: z
      .string()
      .nullable()
      .openapi({ description: "The owner's email: the person answerable for the agent (and, unless a rule allows it, not one of its reviewers)." }),
    trust_level: z.string(),
    tags: z.array(z.string()),
    status: AgentStatus,
    created_at: timestamp,
    last_seen_at: timestamp.nullable(),
    live_keys: z.number().int().openapi({ description: "Keys neither revoked nor expired." }),
    requests: z.object({ pending: z.number().int(), total: z.number().int() }),
  })
  .openapi("Agent");
export type AgentObject = z.infer<typeof AgentObject>;

export const KeyObject = z
  .object({
    id: z.string().openapi({ description: "The key id: the part between `csk_` and the secret." }),
    created_at: timestamp,
    expires_at: timestamp.nullable(),
    last_used_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
    live: z.boolean(),
  })
  .openapi("AgentKey", { description: "A key's metadata. The secret is shown once, when the key is issued, and never stored." });
export type KeyObject = z.infer<typeof KeyObject>;

export const AgentDetail = AgentObject.extend({ keys: z.array(KeyObject) }).openapi("AgentDetail");
export type AgentDetail = z.infer<typeof AgentDetail>;
export const AgentList = z.object({ data: z.array(AgentObject) }).openapi("AgentList");
export type AgentList = z.infer<typeof AgentList>;
export const KeyList = z.object({ data: z.array(KeyObject) }).openapi("AgentKeyList");

const secretKey = z
  .string()
  .openapi({ description: "The agent key `csk_<key id>_<secret>`. Shown in this answer only: store it now.", example: "csk_4fT9kQ2mZx7A_Vb3…" });

export const CreatedAgent = z
  .object({
    agent: AgentObject,
    key: secretKey,
    key_id: z.string(),
    callback_secret: z.string().openapi({
      description: "Signs `request.decided` to this agent's requests' `callback_url` (Standard Webhooks, `whsec_…`). Shown in this answer only.",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
  })
  .openapi("CreatedAgent");
export type CreatedAgent = z.infer<typeof CreatedAgent>;
export const IssuedKey = z.object({ key_id: z.string(), key: secretKey, expires_at: timestamp.nullable() }).openapi("IssuedKey");
export type IssuedKey = z.infer<typeof IssuedKey>;

export const StoppedAgent = z
  .object({
    agent: AgentObject,
    cancelled_requests: z.array(z.string()).openapi({ description: "Ids of the pending requests cancelled." }),
    revoked_grants: z.number().int().openapi({ description: "How many unredeemed grants were revoked." }),
  })
  .openapi("StoppedAgent");
export type StoppedAgent = z.infer<typeof StoppedAgent>;
export const ResumedAgent = z.object({ agent: AgentObject }).openapi("ResumedAgent");
export type ResumedAgent = z.infer<typeof ResumedAgent>;

export const SkippedAgent = z
  .object({ agent_id: z.string(), name: z.string(), status: AgentStatus })
  .openapi("SkippedAgent", { description: "An agent the selector matched but the change left as it was (already suspended, or already active)." });
export type SkippedAgent = z.infer<typeof SkippedAgent>;

export const BulkSuspendResult = z
  .object({
    suspended: z.array(
      z.object({
        agent: AgentObject,
        cancelled_requests: z.number().int().openapi({ description: "How many of its pending requests were cancelled." }),
        revoked_grants: z.number().int().openapi({ description: "How many of its unredeemed grants were revoked." }),
      }),
    ),
    skipped: z.array(SkippedAgent),
  })
  .openapi("BulkSuspendResult", { description: "The agents suspended by this call, and those matched but already suspended; both by name." });
export type BulkSuspendResult = z.infer<typeof BulkSuspendResult>;

export const BulkResumeResult = z
  .object({ resumed: z.array(z.object({ agent: AgentObject })), skipped: z.array(SkippedAgent) })
  .openapi("BulkResumeResult", { description: "The agents resumed by this call, and those matched but not suspended; both by name." });
export type BulkResumeResult = z.infer<typeof BulkResumeResult>;

export const UserObject = z
  .object({
    id: z.string().openapi({ example: "usr_01jb7y8m2q3w4e5r6t7y8u9i0p" }),
    email: z.string(),
    name: z.string().nullable(),
    role: Role,
    disabled: z.boolean(),
    local_account: z.boolean().openapi({ description: "Has a password (single sign-on accounts do not)." }),
    groups: z.array(z.string()).openapi({ description: "Reviewer groups the user is in." }),
    created_at: timestamp,
    last_sign_in_at: timestamp.nullable(),
  })
  .openapi("User");
export type UserObject = z.infer<typeof UserObject>;

export const UserList = z.object({ data: z.array(UserObject) }).openapi("UserList");
export type UserList = z.infer<typeof UserList>;
const oneTimePassword = z
  .string()
  .openapi({ description: "A one-time password, shown in this answer only, for the admin to hand over; the user chooses their own at first sign-in." });
export const InvitedUser = z.object({ user: UserObject, password: oneTimePassword }).openapi("InvitedUser");
export type InvitedUser = z.infer<typeof InvitedUser>;
export const PasswordReset = z.object({ user_id: z.string(), password: oneTimePassword }).openapi("PasswordReset");
export type PasswordReset = z.infer<typeof PasswordReset>;

export const GroupMember = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.string().openapi({ description: "`admin`, `reviewer` or `auditor`" }),
  disabled: z.boolean(),
});

export const GroupObject = z
  .object({ id: z.string().openapi({ example: "grp_01jb7y8m2q3w4e5r6t7y8u9i0p" }), name: z.string(), created_at: timestamp, members: z.array(GroupMember) })
  .openapi("Group");
export type GroupObject = z.infer<typeof GroupObject>;

export const GroupList = z.object({ data: z.array(GroupObject) }).openapi("GroupList");
export type GroupList = z.infer<typeof GroupList>;
export const CreatedGroup = GroupObject.omit({ created_at: true }).openapi("CreatedGroup");
export type CreatedGroup = z.infer<typeof CreatedGroup>;

export const AdminTokenObject = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(AdminScope),
    created_by: z.string().openapi({ description: "Who created it, as an actor (`user:usr_…`, or `admin_token:…`)." }),
    created_at: timestamp,
    last_used_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
  })
  .openapi("AdminToken", { description: "An admin API token's metadata; never its secret." });

export const SsoSettings = z
  .object({ enabled: z.boolean().openapi({ description: "Whether single sign-on (OIDC) is configured." }), default_role: Role })
  .openapi("SsoSettings", { description: "`default_role` is the role of accounts that single sign-on creates at first sign-in." });

export const AccessSettings = z.object({ sso: SsoSettings, tokens: z.array(AdminTokenObject) }).openapi("AccessSettings");
export type AccessSettings = z.infer<typeof AccessSettings>;
export const SsoSettingsResult = z.object({ sso: SsoSettings }).openapi("SsoSettingsResult");
export type SsoSettingsResult = z.infer<typeof SsoSettingsResult>;

export const CreatedAdminToken = z
  .object({
    id: z.string(),
    token: z.string().openapi({ description: "`csa_<id>_<secret>`, shown in this answer only.", example: "csa_9ZkQ2mX4pL7a_Q8r…" }),
    scopes: z.array(AdminScope),
  })
  .openapi("CreatedAdminToken");
export type CreatedAdminToken = z.infer<typeof CreatedAdminToken>;
export const RevokedAdminToken = z.object({ id: z.string(), revoked: z.literal(true) }).openapi("RevokedAdminToken");
export type RevokedAdminToken = z.infer<typeof RevokedAdminToken>;
