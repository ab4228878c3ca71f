import { describe, expect, it } from "vitest";
import { db } from "../../lib/db.ts";
import { inviteUser, resetUserPassword } from "../../lib/users/invite-user.ts";
import { passwordSignOut } from "../support/password-sign-in.ts";
import { baseUrl, expectProblem, expectValidationError, newUser, reviewerFetch, signIn, unique } from "../support/fixtures.ts";

const change = (cookie: string, body: unknown, origin?: string) => reviewerFetch(cookie, "/api/v1/me/password", { method: "POST", json: body, origin });

const flag = async (id: string) =>
  (await db().selectFrom("users").select("mustChangePassword").where("id", "=", id).executeTakeFirstOrThrow()).mustChangePassword;

describe("changing one's own password", () => {
  it("refuses a wrong current password (422 naming it) and a short new one, and changes nothing", async () => {
    const user = await newUser("reviewer");
    const cookie = await signIn(user);
    await expectValidationError(await change(cookie, { current_password: "not-the-password", new_password: "a brand new password" }), "current_password");
    await expectValidationError(await change(cookie, { current_password: user.password, new_password: "short" }), "new_password");
    await expectValidationError(await change(cookie, { current_password: user.password, new_password: user.password }), "new_password");
    // The old password still signs in.
    expect(await signIn(user)).toMatch(/^authjs\.session-token=/);
  });

  it("refuses a call without a session (401) and one from another origin (403)", async () => {
    const user = await newUser("reviewer");
    const cookie = await signIn(user);
    await expectProblem(
      await fetch(`${baseUrl()}/api/v1/me/password`, { method: "POST", headers: { "content-type": "application/json", origin: baseUrl() }, body: "{}" }),
      401,
      "unauthenticated",
    );
    await expectProblem(
      await change(cookie, { current_password: user.password, new_password: "a brand new password" }, "https://evil.example"),
      403,
      "forbidden",
    );
  });

  it("changes it: the new one signs in, the old one no longer does, other sessions end, this one stays, audited", async () => {
    const user = await newUser("admin");
    const here = await signIn(user);
    const elsewhere = await signIn(user);
    const next = `new ${unique("password")}`;
    const res = await change(here, { current_password: user.password, new_password: next });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ changed: true, other_sessions_ended: true });

    expect((await reviewerFetch(here, "/api/v1/admin/users")).status).toBe(200);
    await expectProblem(await reviewerFetch(elsewhere, "/api/v1/admin/users"), 401, "unauthenticated");
    await expect(signIn(user)).rejects.toThrow(/sign-in failed/);
    expect(await signIn({ email: user.email, password: next })).toMatch(/^authjs\.session-token=/);

    const events = await db()
      .selectFrom("auditEvents")
      .select(["actor", "data"])
      .where("type", "=", "user.password_changed")
      .where("actor", "=", `user:${user.id}`)
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ user_id: user.id, was_one_time: false, sessions_ended: 1 });
    expect(JSON.stringify(events[0].data)).not.toContain(next);
  });
});

describe("one-time passwords", () => {
  it("an invited user must change theirs first: every other call is 403, pages redirect, sign-out works; afterwards all is open", async () => {
    const admin = await newUser("admin");
    const email = `${unique("invited")}@example.test`;
    const invited = await inviteUser({ email, role: "admin", actor: `user:${admin.id}` });
    expect(await flag(invited.userId)).toBe(true);

    const cookie = await signIn({ email, password: invited.password });
    for (const path of ["/api/v1/review/requests?status=pending", "/api/v1/admin/users", "/api/v1/admin/audit/events"]) {
      const problem = await expectProblem(await reviewerFetch(cookie, path), 403, "forbidden");
      expect(problem.detail).toContain("/api/v1/me/password");
    }
    await expectProblem(await reviewerFetch(cookie, "/api/v1/review/notification-preferences", { method: "PUT", json: {} }), 403, "forbidden");

    const page = await fetch(`${baseUrl()}/history`, { headers: { cookie }, redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/settings/password");
    const own = await fetch(`${baseUrl()}/settings/password`, { headers: { cookie }, redirect: "manual" });
    expect(own.status).toBe(200);
    expect(await own.text()).toContain("Choose your password");

    // Signing out stays possible.
    const other = await signIn({ email, password: invited.password });
    expect(await passwordSignOut(baseUrl(), other)).toBe(302);
    await expectProblem(await reviewerFetch(other, "/api/v1/me/password", { method: "POST", json: {} }), 401, "unauthenticated");

    const next = `mine ${unique("password")}`;
    expect((await change(cookie, { current_password: invited.password, new_password: next })).status).toBe(200);
    expect(await flag(invited.userId)).toBe(false);
    expect((await reviewerFetch(cookie, "/api/v1/admin/users")).status).toBe(200);
    expect((await fetch(`${baseUrl()}/history`, { headers: { cookie }, redirect: "manual" })).status).toBe(200);
  });

  it("an admin's reset makes the password one-time again", async () => {
    const user = await newUser("reviewer");
    expect(await flag(user.id)).toBe(false);
    const { password } = await resetUserPassword({ userId: user.id, actor: "test" });
    expect(await flag(user.id)).toBe(true);
    const cookie = await signIn({ email: user.email, password });
    await expectProblem(await reviewerFetch(cookie, "/api/v1/review/requests?status=pending"), 403, "forbidden");
  });
});
