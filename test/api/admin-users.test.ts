import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awaitSealed } from "../../lib/audit/sealer.ts";
import { verifyChain } from "../../lib/audit/verify-chain.ts";
import { db } from "../../lib/db.ts";
import { expectProblem, newUser, reviewerFetch, signIn, trySignIn, unique, type TestUser } from "../support/fixtures.ts";

let admin: TestUser;
let adminCookie: string;
let auditorCookie: string;
let reviewerCookie: string;

beforeAll(async () => {
  const [a, au, r] = await Promise.all([newUser("admin"), newUser("auditor"), newUser("reviewer")]);
  admin = a;
  [adminCookie, auditorCookie, reviewerCookie] = await Promise.all([signIn(a), signIn(au), signIn(r)]);
});

afterAll(async () => {
  await awaitSealed();
  expect((await verifyChain()).ok).toBe(true);
});

const as = (cookie: string, path: string, init: RequestInit & { json?: unknown; origin?: string | null } = {}) =>
  reviewerFetch(cookie, `/api/v1/admin${path}`, init);
const userRow = (id: string) => db().selectFrom("users").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const userEvents = (userId: string, type: string) =>
  db().selectFrom("auditEvents").selectAll().where("type", "=", type).where(sql<string>`data->>'user_id'`, "=", userId).orderBy("id").execute();

describe("users", () => {
  it("invites a local account with a one-time password that signs in, and lists it without secrets", async () => {
    const email = `${unique("invited")}@Example.test`;
    const res = await as(adminCookie, "/users", { method: "POST", json: { email, role: "reviewer", name: "Ivy Invited" } });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.user).toMatchObject({ email: email.toLowerCase(), role: "reviewer", disabled: false, local_account: true });
    expect(body.password.length).toBeGreaterThanOrEqual(12);
    expect(await trySignIn({ email: email.toLowerCase(), password: body.password })).not.toBeNull();

    const list = await as(auditorCookie, "/users");
    expect(list.status).toBe(200);
    const text = await list.text();
    expect(text).toContain(email.toLowerCase());
    expect(text).not.toContain(body.password);
    expect(text).not.toMatch(/scrypt|password/i);

    await expectProblem(await as(adminCookie, "/users", { method: "POST", json: { email, role: "reviewer" } }), 409, "conflict");
    await expectProblem(await as(adminCookie, "/users", { method: "POST", json: { email: "x@y.test", role: "owner" } }), 422, "validation_failed");

    // A reset gives a new one-time password and ends the old one.
    const reset = await as(adminCookie, `/users/${body.user.id}/reset-password`, { method: "POST" });
    expect(reset.status).toBe(200);
    const { password } = await reset.json();
    expect(await trySignIn({ email: email.toLowerCase(), password: body.password })).toBeNull();
    expect(await trySignIn({ email: email.toLowerCase(), password })).not.toBeNull();
    expect(await userEvents(body.user.id, "user.password_reset")).toHaveLength(1);
  });

  it("changes a role at once for the user's live session, with before/after in the audit log", async () => {
    const user = await newUser("reviewer");
    const cookie = await signIn(user);
    await expectProblem(await as(cookie, "/agents"), 403, "forbidden");

    const res = await as(adminCookie, `/users/${user.id}`, { method: "PATCH", json: { role: "auditor" } });
    expect(res.status).toBe(200);
    expect((await res.json()).role).toBe("auditor");
    // The same session now reads as an auditor, and still cannot change anything.
    expect((await as(cookie, "/agents")).status).toBe(200);
    await expectProblem(await as(cookie, "/groups", { method: "POST", json: { name: unique("g") } }), 403, "forbidden");

    const [changed] = await userEvents(user.id, "user.role_changed");
    expect(changed).toMatchObject({ actor: `user:${admin.id}`, data: { before: { role: "reviewer" }, after: { role: "auditor" } } });
  });

  it("disables an account (its session ends) and enables it again", async () => {
    const user = await newUser("reviewer");
    const cookie = await signIn(user);
    expect((await reviewerFetch(cookie, "/api/v1/review/requests")).status).toBe(200);

    const res = await as(adminCookie, `/users/${user.id}`, { method: "PATCH", json: { disabled: true } });
    expect(res.status).toBe(200);
    expect((await res.json()).disabled).toBe(true);
    await expectProblem(await reviewerFetch(cookie, "/api/v1/review/requests"), 401, "unauthenticated");
    expect(await trySignIn(user)).toBeNull();

    expect((await as(adminCookie, `/users/${user.id}`, { method: "PATCH", json: { disabled: false } })).status).toBe(200);
    expect(await trySignIn(user)).not.toBeNull();
    expect((await userEvents(user.id, "user.disabled"))[0].data).toMatchObject({ before: { disabled: false }, after: { disabled: true } });
    expect(await userEvents(user.id, "user.enabled")).toHaveLength(1);
  });

  it("does not let an admin disable their own account", async () => {
    await expectProblem(await as(adminCookie, `/users/${admin.id}`, { method: "PATCH", json: { disabled: true } }), 409, "conflict");
    expect((await userRow(admin.id)).disabled).toBe(false);
  });
});

describe("groups", () => {
  it("creates a group, adds and removes members, each audited with before/after", async () => {
    const name = unique("finance").toLowerCase();
    const member = await newUser("reviewer");
    const created = await as(adminCookie, "/groups", { method: "POST", json: { name } });
    expect(created.status).toBe(201);
    await expectProblem(await as(adminCookie, "/groups", { method: "POST", json: { name } }), 409, "conflict");
    await expectProblem(await as(adminCookie, "/groups", { method: "POST", json: { name: "Has Spaces" } }), 422, "validation_failed");

    const added = await as(adminCookie, `/groups/${name}/members`, { method: "POST", json: { email: member.email } });
    expect(added.status).toBe(200);
    expect((await added.json()).members.map((m: { email: string }) => m.email)).toEqual([member.email]);
    const users = await (await as(auditorCookie, "/users")).json();
    expect(users.data.find((u: { id: string }) => u.id === member.id).groups).toEqual([name]);
    const groups = await (await as(auditorCookie, "/groups")).json();
    expect(groups.data.find((g: { name: string }) => g.name === name).members).toHaveLength(1);

    const removed = await as(adminCookie, `/groups/${name}/members/${member.id}`, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect((await removed.json()).members).toEqual([]);

    expect((await userEvents(member.id, "group.member_added"))[0].data).toMatchObject({ group: name, before: { member: false }, after: { member: true } });
    expect((await userEvents(member.id, "group.member_removed"))[0].data).toMatchObject({ group: name, before: { member: true }, after: { member: false } });
    await expectProblem(await as(adminCookie, `/groups/no-such-group/members`, { method: "POST", json: { email: member.email } }), 404, "not_found");
  });
});

describe("who may use the admin user endpoints", () => {
  it("reviewers get 403; auditors read only; cross-site changes are refused", async () => {
    const target = await newUser("reviewer");
    for (const path of ["/users", `/users/${target.id}`, "/groups"]) {
      await expectProblem(await as(reviewerCookie, path), 403, "forbidden");
      expect((await as(auditorCookie, path)).status).toBe(200);
    }
    const changes: [string, string, unknown][] = [
      ["POST", "/users", { email: `${unique("x")}@example.test`, role: "admin" }],
      ["PATCH", `/users/${target.id}`, { role: "admin" }],
      ["POST", `/users/${target.id}/reset-password`, undefined],
      ["POST", "/groups", { name: unique("g").toLowerCase() }],
    ];
    for (const [method, path, json] of changes) {
      await expectProblem(await as(reviewerCookie, path, { method, json }), 403, "forbidden");
      await expectProblem(await as(auditorCookie, path, { method, json }), 403, "forbidden");
    }
    await expectProblem(
      await as(adminCookie, `/users/${target.id}`, { method: "PATCH", json: { role: "admin" }, origin: "https://evil.example" }),
      403,
      "forbidden",
    );
    expect((await userRow(target.id)).role).toBe("reviewer");
  });
});
