import { describe, expect, it } from "vitest";
import { newAgent } from "../../test/support/fixtures.ts";
import { prisma } from "../db.ts";
import { AppError } from "../errors.ts";
import { createRequest } from "./create-request.ts";

describe("createRequest against an agent suspended after it authenticated", () => {
  it("refuses with agent_suspended and leaves no request and no request event behind", async () => {
    const { agentId, name } = await newAgent();
    // The agent passed authentication (this object), then an admin suspended it.
    const agent = { id: agentId, name, ownerEmail: null, tags: [], trustLevel: "standard" };
    await prisma().agent.update({ where: { id: agentId }, data: { status: "suspended" } });

    const attempt = createRequest({ agent, body: { action: "payments.refund", summary: "Refund" } });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: "agent_suspended" });

    expect(await prisma().actionRequest.count({ where: { agentId } })).toBe(0);
    expect(await prisma().auditEvent.count({ where: { agentId, type: "request.created" } })).toBe(0);
    expect(await prisma().auditEvent.count({ where: { agentId, seq: { gt: 0n }, type: { startsWith: "request." } } })).toBe(0);
  });
});
