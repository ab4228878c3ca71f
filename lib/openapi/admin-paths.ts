import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import {
  CreateAdminTokenBody,
  CreateGroupBody,
  GroupMemberBody,
  InviteUserBody,
  SsoSettingsBody,
  UpdateUserBody,
} from "../schemas/admin.ts";
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
import { body, type ErrorCase, errors, invalid, jsonContent, pathParams, SESSION_AUTH, SIGNED_OUT, TOO_LARGE, UNAVAILABLE, roleForbidden } from "./components.ts";
import * as ex from "./examples.ts";

/*
 * Users and groups, access settings and admin tokens. These need an admin's
 * session (auditors may read); admin API tokens are not accepted here.
 */

const userId = { id: { description: "The user's id (`usr_…`).", example: ex.IDS.user } };
const USER_NOT_FOUND: ErrorCase = { code: "not_found", when: "No such user.", detail: "no such user" };

const READ_ERRORS = [SIGNED_OUT, roleForbidden("admins and auditors", false)];
const WRITE_ERRORS = [SIGNED_OUT, roleForbidden("admins")];

type Operation = Omit<RouteConfig, "security">;

/** An operation that needs a session: reads for admins and auditors, writes for admins. */
function session(r: OpenAPIRegistry, op: Operation) {
  r.registerPath({ ...op, security: SESSION_AUTH });
}

export function registerAdminPaths(r: OpenAPIRegistry): void {
  registerUserAdminPaths(r);
  registerAccessPaths(r);
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
