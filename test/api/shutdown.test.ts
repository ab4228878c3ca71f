import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { newAgent, sampleRequest } from "../support/fixtures.ts";
import { startTestApp } from "../support/test-server.ts";

describe("graceful shutdown", () => {
  it("answers long-waiting agents with their current state instead of dropping them", async () => {
    const app = await startTestApp(inject("databaseUrl"));
    const agent = await newAgent();
    const headers = { authorization: `Bearer ${agent.key}`, "content-type": "application/json" };
    const created = await fetch(`${app.url}/api/v1/requests`, { method: "POST", headers, body: JSON.stringify(sampleRequest()) });
    const { id } = await created.json();

    const waiting = fetch(`${app.url}/api/v1/requests/${id}?wait=60`, { headers }).then(async (r) => ({ status: r.status, body: await r.json() }));
    // The metrics gauge shows when the waiter is parked on the hub, so the signal arrives mid-wait.
    await expect
      .poll(
        async () => {
          const text = await (await fetch(`${app.url}/api/metrics`)).text();
          return /countersign_waiting_agents (\d+)/.exec(text)?.[1];
        },
        { timeout: 10_000 },
      )
      .toBe("1");
    const stopped = app.stop();

    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body.id).toBe(id);
    expect(answer.body.status).toBe("pending");
    await stopped;
    expect(app.process.exitCode).toBe(0);
  });
});
