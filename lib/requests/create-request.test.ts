import { describe, expect, it } from "vitest";
import { newAgent } from "../../test/support/fixtures.ts";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";
import { createRequest } from "./create-request.ts";

describe("createRequest against an agent suspended after it authenticated", () => {
  it("refuses with agent_suspended and leaves no request and no request event behind", async () => {
    const { agentId, name } = await newAgent();
    // The agent passed authentication (this object), then an admin suspended it.
    const agent = { id: agentId, name, ownerEmail: null, tags: [], trustLevel: "standard" };
    await db().updateTable("agents").set({ status: "suspended" }).where("id", "=", agentId).execute();

    const attempt = createRequest({ agent, body: { action: "payments.refund", summary: "Refund" } });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: "agent_suspended" });

    expect(await db().selectFrom("actionRequests").select("id").where("agentId", "=", agentId).execute()).toEqual([]);
    const events = db().selectFrom("auditEvents").select("id").where("agentId", "=", agentId);
    expect(await events.where("type", "=", "request.created").execute()).toEqual([]);
    // Sealed or not: no request event at all.
    expect(await events.where("type", "like", "request.%").execute()).toEqual([]);
  });
});
