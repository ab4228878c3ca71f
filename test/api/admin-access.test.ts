import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "../../lib/db.ts";
import { baseUrl, expectProblem, newUser, reviewerFetch, signIn } from "../support/fixtures.ts";

const policies = (token: string) => fetch(`${baseUrl()}/api/v1/admin/policies`, { headers: { authorization: `Bearer ${token}` } });

describe("access settings in the admin console", () => {
  it("creates an admin API token that works until it is revoked, and lists it without its secret", async () => {
    const admin = await signIn(await newUser("admin"));
    const created = await reviewerFetch(admin, "/api/v1/admin/tokens", { method: "POST", json: { name: "policy-ci" } });
    expect(created.status).toBe(201);
    const { id, token } = await created.json();
    expect(token).toMatch(new RegExp(`^csa_${id}_[A-Za-z0-9]{40,}$`));
    expect((await policies(token)).status).toBe(200);

    const listed = await (await reviewerFetch(admin, "/api/v1/admin/access")).json();
    const row = listed.tokens.find((t: { id: string }) => t.id === id);
    expect(row).toMatchObject({ name: "policy-ci", revoked_at: null });
    expect(JSON.stringify(listed)).not.toContain(token.split("_")[2]);

    expect((await reviewerFetch(admin, `/api/v1/admin/tokens/${id}/revoke`, { method: "POST" })).status).toBe(200);
    await expectProblem(await policies(token), 401, "unauthenticated");
    const tokenEvents = await db()
      .selectFrom("auditEvents")
      .select("id")
      .where("type", "in", ["admin_token.created", "admin_token.revoked"])
      .where(sql<string>`data->>'token_id'`, "=", id)
      .execute();
    expect(tokenEvents).toHaveLength(2);
  });

  it("lets auditors read but not change access, refuses reviewers, and records the SSO default role with before/after", async () => {
    const auditor = await signIn(await newUser("auditor"));
    expect((await reviewerFetch(auditor, "/api/v1/admin/access")).status).toBe(200);
    await expectProblem(await reviewerFetch(auditor, "/api/v1/admin/tokens", { method: "POST", json: { name: "x" } }), 403, "forbidden");
    await expectProblem(await reviewerFetch(auditor, "/api/v1/admin/access", { method: "PUT", json: { default_role: "admin" } }), 403, "forbidden");
    const reviewer = await signIn(await newUser("reviewer"));
    await expectProblem(await reviewerFetch(reviewer, "/api/v1/admin/access"), 403, "forbidden");

    // Set to the value other suites rely on (reviewer), so parallel SSO tests are unaffected.
    const admin = await signIn(await newUser("admin"));
    const put = await reviewerFetch(admin, "/api/v1/admin/access", { method: "PUT", json: { default_role: "reviewer" } });
    expect(put.status).toBe(200);
    expect((await put.json()).sso.default_role).toBe("reviewer");
    await expectProblem(await reviewerFetch(admin, "/api/v1/admin/access", { method: "PUT", json: { default_role: "owner" } }), 422, "validation_failed");
    const event = await db()
      .selectFrom("auditEvents")
      .select("data")
      .where("type", "=", "settings.sso_default_role_changed")
      .orderBy("id", "desc")
      .executeTakeFirst();
    expect(event?.data).toMatchObject({ after: { role: "reviewer" } });
  });
});
