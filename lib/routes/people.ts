import { createAdminToken, listAdminTokens, revokeAdminToken } from "../admin-tokens/admin-tokens.ts";
import { oidcEnabled } from "../env.ts";
import { AppError } from "../errors.ts";
import { json } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import {
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
import { CreateAdminTokenBody, CreateGroupBody, GroupMemberBody, InviteUserBody, SsoSettingsBody, UpdateUserBody } from "../schemas/admin.ts";
import {
  AccessSettings,
  CreatedAdminToken,
  CreatedGroup,
  GroupList,
  GroupObject,
  InvitedUser,
  PasswordReset,
  RevokedAdminToken,
  SsoSettingsResult,
  UserList,
  UserObject,
} from "../schemas/admin-objects.ts";
import { getSsoDefaultRole, setSsoDefaultRole } from "../settings/sso-default-role.ts";
import { addGroupMember, createGroup, listGroups, removeGroupMember } from "../users/groups.ts";
import { inviteUser, resetUserPassword } from "../users/invite-user.ts";
import { listUsers } from "../users/list-users.ts";
import { setUserDisabled } from "../users/set-user-disabled.ts";
import { setUserRole } from "../users/set-user-role.ts";
import { toGroupObject, toUserObject } from "../users/user-view.ts";

/*
 * People and access, for the admin console: users, reviewer groups, single
 * sign-on's default role and admin API tokens. An admin's session (auditors
 * may read), or an admin API token: `users:read`/`users:write` for users and
 * groups; access (SSO's default role, the tokens themselves) only with
 * `admin`, since it decides who holds admin power, so a narrower token cannot
 * mint a broader one.
 */

const USERS_READ = { admin: ["admin", "auditor"], scope: "users:read" } as const;
const USERS_WRITE = { admin: ["admin"], scope: "users:write" } as const;
const ACCESS_READ = { admin: ["admin", "auditor"], scope: "admin" } as const;
const ACCESS_WRITE = { admin: ["admin"], scope: "admin" } as const;
const READ_ERRORS = [ADMIN_UNAUTHENTICATED, roleForbidden("admins and auditors", false)];
const WRITE_ERRORS = [ADMIN_UNAUTHENTICATED, roleForbidden("admins")];

const userId = pathParams({ id: { description: "The user's id (`usr_…`).", example: ex.IDS.user } });
const groupName = { name: { description: "The group's name.", example: "finance" } };
const USER_NOT_FOUND: ErrorCase = { code: "not_found", when: "No such user.", detail: "no such user" };
const LAST_ADMIN: ErrorCase = {
  code: "conflict",
  when: "The change would leave no enabled admin, or an admin would disable themselves.",
  detail: "this is the last enabled admin; make someone else an admin first",
};

async function userObject(id: string) {
  const u = (await listUsers()).find((x) => x.id === id);
  if (!u) throw new AppError("not_found", "no such user");
  return toUserObject(u);
}

/** The group as it is now (names are stored lowercase), or null. */
async function groupObject(name: string) {
  const group = (await listGroups()).find((g) => g.name === name.toLowerCase());
  return group ? toGroupObject(group) : null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

const usersTags = ["Users and groups"];

const listUsersRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/users",
  access: USERS_READ,
  docs: {
    operationId: "listUsers",
    summary: "List users",
    description: "Every account, by email, with role, status and reviewer groups. Never password hashes.",
    tags: usersTags,
    responses: {
      200: { description: "The users.", content: jsonContent(UserList, { users: { value: { data: [ex.USER] } } }) },
      ...errors(...READ_ERRORS, UNAVAILABLE),
    },
  },
  async handler() {
    return json({ data: (await listUsers()).map(toUserObject) });
  },
});

const inviteUserRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/users",
  access: USERS_WRITE,
  body: InviteUserBody,
  docs: {
    operationId: "inviteUser",
    summary: "Invite a user",
    description:
      "Creates a local account and answers a one-time password, shown once, for the admin to hand over out of band (nothing is emailed). With single sign-on, people can instead sign in and get the default role.",
    tags: usersTags,
    request: { bodyExamples: { reviewer: { value: { email: "bob@example.com", role: "reviewer", name: "Bob Reviewer" } } } },
    responses: {
      201: {
        description: "Created; the password is shown once.",
        content: jsonContent(InvitedUser, { invited: { value: { user: { ...ex.USER, groups: [], last_sign_in_at: null }, password: ex.ONE_TIME_PASSWORD } } }),
      },
      ...errors(
        ...WRITE_ERRORS,
        { code: "conflict", when: "A user with this email exists.", detail: "a user with email bob@example.com already exists" },
        TOO_LARGE,
        invalid("The body breaks the schema.", [{ path: "email", message: "must be an email address" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, body }) {
    const { userId, password } = await inviteUser({ email: body.email, role: body.role, name: body.name ?? null, actor: admin.actor });
    const created = (await listUsers()).find((u) => u.id === userId);
    return json({ user: created && toUserObject(created), password }, { status: 201 });
  },
});

const getUserRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/users/{id}",
  access: USERS_READ,
  docs: {
    operationId: "getUser",
    summary: "Get a user",
    tags: usersTags,
    description: "One account with role, status and groups.",
    request: { params: userId },
    responses: {
      200: { description: "The user.", content: jsonContent(UserObject, { user: { value: ex.USER } }) },
      ...errors(...READ_ERRORS, USER_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ params }) {
    return json(await userObject(params.id));
  },
});

const updateUserRoute = defineRoute({
  method: "PATCH",
  path: "/api/v1/admin/users/{id}",
  access: USERS_WRITE,
  body: UpdateUserBody,
  docs: {
    operationId: "updateUser",
    summary: "Change role or disable",
    description:
      "Changes the role, and/or disables or re-enables the account. Disabling ends the user's sessions at once. There is always at least one enabled admin.",
    tags: usersTags,
    request: { params: userId, bodyExamples: { promote: { value: { role: "admin" } }, disable: { value: { disabled: true } } } },
    responses: {
      200: { description: "The user after the change.", content: jsonContent(UserObject, { promoted: { value: { ...ex.USER, role: "admin" as const } } }) },
      ...errors(
        ...WRITE_ERRORS,
        USER_NOT_FOUND,
        LAST_ADMIN,
        TOO_LARGE,
        invalid("The body breaks the schema, or changes nothing.", [{ path: "(body)", message: "change role or disabled" }]),
        UNAVAILABLE,
      ),
    },
  },
  /** Each change (role, disabled) is its own audit event. */
  async handler({ admin, params, body }) {
    const { actor } = admin;
    if (body.role !== undefined) await setUserRole({ userId: params.id, role: body.role, actor });
    if (body.disabled !== undefined) await setUserDisabled({ userId: params.id, disabled: body.disabled, actor });
    return json(await userObject(params.id));
  },
});

const resetUserPasswordRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/users/{id}/reset-password",
  access: USERS_WRITE,
  docs: {
    operationId: "resetUserPassword",
    summary: "Reset a password",
    description: "Sets a new one-time password (answered once, for the admin to hand over) and ends every session the user holds.",
    tags: usersTags,
    request: { params: userId },
    responses: {
      200: {
        description: "The new password, shown once.",
        content: jsonContent(PasswordReset, { reset: { value: { user_id: ex.IDS.user, password: ex.ONE_TIME_PASSWORD } } }),
      },
      ...errors(...WRITE_ERRORS, USER_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ admin, params }) {
    const { userId, password } = await resetUserPassword({ userId: params.id, actor: admin.actor });
    return json({ user_id: userId, password });
  },
});

const listGroupsRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/groups",
  access: USERS_READ,
  docs: {
    operationId: "listGroups",
    summary: "List reviewer groups",
    description: "Reviewer groups with their members. Rules name groups (`reviewers.groups`) to say who may decide.",
    tags: usersTags,
    responses: {
      200: { description: "The groups.", content: jsonContent(GroupList, { groups: { value: { data: [ex.GROUP] } } }) },
      ...errors(...READ_ERRORS, UNAVAILABLE),
    },
  },
  async handler() {
    return json({ data: (await listGroups()).map(toGroupObject) });
  },
});

const createGroupRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/groups",
  access: USERS_WRITE,
  body: CreateGroupBody,
  docs: {
    operationId: "createGroup",
    summary: "Create a group",
    description: "Creates an empty reviewer group. Names are lowercase: a-z, 0-9, `-` and `_`.",
    tags: usersTags,
    request: { bodyExamples: { finance: { value: { name: "finance" } } } },
    responses: {
      201: { description: "Created.", content: jsonContent(CreatedGroup, { created: { value: { id: ex.IDS.group, name: "finance", members: [] } } }) },
      ...errors(
        ...WRITE_ERRORS,
        { code: "conflict", when: "A group with this name exists.", detail: "a group named finance already exists" },
        TOO_LARGE,
        invalid("The body breaks the schema.", [{ path: "name", message: "a-z, 0-9, - and _ (at most 64)" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, body }) {
    const group = await createGroup({ name: body.name, actor: admin.actor });
    return json({ id: group.id, name: group.name, members: [] }, { status: 201 });
  },
});

const addGroupMemberRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/groups/{name}/members",
  access: USERS_WRITE,
  body: GroupMemberBody,
  docs: {
    operationId: "addGroupMember",
    summary: "Add a member",
    description: "Puts a user in the group, by `user_id` or by `email`. Adding a member twice changes nothing.",
    tags: usersTags,
    request: {
      params: pathParams(groupName),
      bodyExamples: { by_email: { value: { email: "carol@example.com" } }, by_id: { value: { user_id: ex.IDS.secondUser } } },
    },
    responses: {
      200: { description: "The group with its members.", content: jsonContent(GroupObject, { group: { value: ex.GROUP } }) },
      ...errors(
        ...WRITE_ERRORS,
        { code: "not_found", when: "No such group or user.", detail: "no group named finance" },
        TOO_LARGE,
        invalid("The body breaks the schema."),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, params, body }) {
    const ref = "user_id" in body ? { userId: body.user_id } : { email: body.email };
    await addGroupMember({ ...ref, group: params.name, actor: admin.actor });
    return json(await groupObject(params.name));
  },
});

const removeGroupMemberRoute = defineRoute({
  method: "DELETE",
  path: "/api/v1/admin/groups/{name}/members/{userId}",
  access: USERS_WRITE,
  docs: {
    operationId: "removeGroupMember",
    summary: "Remove a member",
    description: "Takes a user out of the group. Removing a non-member changes nothing.",
    tags: usersTags,
    request: { params: pathParams({ ...groupName, userId: { description: "The user's id (`usr_…`).", example: ex.IDS.secondUser } }) },
    responses: {
      200: {
        description: "The group with its remaining members.",
        content: jsonContent(GroupObject, { group: { value: { ...ex.GROUP, members: ex.GROUP.members.slice(0, 1) } } }),
      },
      ...errors(...WRITE_ERRORS, { code: "not_found", when: "No such group or user.", detail: "no group named finance" }, UNAVAILABLE),
    },
  },
  async handler({ admin, params }) {
    await removeGroupMember({ userId: params.userId, group: params.name, actor: admin.actor });
    return json(await groupObject(params.name));
  },
});

const accessTags = ["Access"];

const getAccessSettingsRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/access",
  access: ACCESS_READ,
  docs: {
    operationId: "getAccessSettings",
    summary: "Access settings",
    description: "Whether single sign-on is configured and the role it gives new accounts, and every admin API token (never its secret).",
    tags: accessTags,
    responses: {
      200: {
        description: "The settings.",
        content: jsonContent(AccessSettings, {
          settings: { value: { sso: { enabled: true, default_role: "reviewer" as const }, tokens: [ex.ADMIN_TOKEN_INFO] } },
        }),
      },
      ...errors(...READ_ERRORS, UNAVAILABLE),
    },
  },
  async handler() {
    const tokens = await listAdminTokens();
    return json({
      sso: { enabled: oidcEnabled(), default_role: await getSsoDefaultRole() },
      tokens: tokens.map((t) => ({
        id: t.id,
        name: t.name,
        scopes: t.scopes,
        created_by: t.createdBy,
        created_at: t.createdAt.toISOString(),
        last_used_at: iso(t.lastUsedAt),
        revoked_at: iso(t.revokedAt),
      })),
    });
  },
});

const setSsoDefaultRoleRoute = defineRoute({
  method: "PUT",
  path: "/api/v1/admin/access",
  access: ACCESS_WRITE,
  body: SsoSettingsBody,
  docs: {
    operationId: "setSsoDefaultRole",
    summary: "Set single sign-on's default role",
    description: "The role of accounts that single sign-on creates at their first sign-in. Existing accounts keep theirs.",
    tags: accessTags,
    request: { bodyExamples: { auditor: { value: { default_role: "auditor" } } } },
    responses: {
      200: {
        description: "The new setting.",
        content: jsonContent(SsoSettingsResult, { saved: { value: { sso: { enabled: true, default_role: "auditor" as const } } } }),
      },
      ...errors(
        ...WRITE_ERRORS,
        TOO_LARGE,
        invalid("The role is not one of admin, reviewer, auditor.", [
          { path: "default_role", message: 'Invalid option: expected one of "admin"|"reviewer"|"auditor"' },
        ]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, body }) {
    await setSsoDefaultRole({ role: body.default_role, actor: admin.actor });
    return json({ sso: { enabled: oidcEnabled(), default_role: body.default_role } });
  },
});

const createAdminTokenRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/tokens",
  access: ACCESS_WRITE,
  body: CreateAdminTokenBody,
  docs: {
    operationId: "createAdminToken",
    summary: "Create an admin API token",
    description:
      "For automation: applying the policy file from CI, provisioning agents, users, groups and webhooks, incident tooling (`Authorization: Bearer csa_…` on any endpoint under `/api/v1/admin/` whose scope the token holds). The token is in this answer only. `scopes` limits what it reaches (omitted: `admin`, everything); its `admin_token.created` audit event records them. Only an admin, or a token with `admin`, may create one, so a narrower token cannot mint a broader one.",
    tags: accessTags,
    request: {
      bodyExamples: {
        ci: { summary: "Policy as code from CI", value: { name: "policy-ci", scopes: ["policies:write"] } },
        provisioning: { summary: "Provisioning", value: { name: "provisioning", scopes: ["agents:write", "users:write", "webhooks:write"] } },
        everything: { summary: "Everything (the `admin` scope)", value: { name: "break-glass" } },
      },
    },
    responses: {
      201: {
        description: "Created; the token is shown once.",
        content: jsonContent(CreatedAdminToken, {
          created: { value: { id: ex.IDS.adminToken, token: ex.ADMIN_TOKEN, scopes: ["policies:write" as const] } },
        }),
      },
      ...errors(
        ...WRITE_ERRORS,
        TOO_LARGE,
        invalid("The name is empty or longer than 100 characters, or a scope is unknown, or `scopes` is empty.", [
          { path: "name", message: "Too small: expected string to have >=1 characters" },
        ]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, body }) {
    const { tokenId, token, scopes } = await createAdminToken({ name: body.name, scopes: body.scopes, actor: admin.actor });
    return json({ id: tokenId, token, scopes }, { status: 201 });
  },
});

const revokeAdminTokenRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/tokens/{id}/revoke",
  access: ACCESS_WRITE,
  docs: {
    operationId: "revokeAdminToken",
    summary: "Revoke an admin API token",
    description: "The token's next call answers 401. Revoking a revoked token changes nothing.",
    tags: accessTags,
    request: { params: pathParams({ id: { description: "The token's id (the part between `csa_` and the secret).", example: ex.IDS.adminToken } }) },
    responses: {
      200: { description: "Revoked.", content: jsonContent(RevokedAdminToken, { revoked: { value: { id: ex.IDS.adminToken, revoked: true as const } } }) },
      ...errors(...WRITE_ERRORS, { code: "not_found", when: "No such token.", detail: "no such admin token" }, UNAVAILABLE),
    },
  },
  async handler({ admin, params }) {
    await revokeAdminToken({ tokenId: params.id, actor: admin.actor });
    return json({ id: params.id, revoked: true });
  },
});

export const peopleRoutes = [
  listUsersRoute,
  inviteUserRoute,
  getUserRoute,
  updateUserRoute,
  resetUserPasswordRoute,
  listGroupsRoute,
  createGroupRoute,
  addGroupMemberRoute,
  removeGroupMemberRoute,
  getAccessSettingsRoute,
  setSsoDefaultRoleRoute,
  createAdminTokenRoute,
  revokeAdminTokenRoute,
];
