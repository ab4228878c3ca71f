import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LOCAL_RECEIVERS_ENV, startTestApp, startTestDatabase, TEST_AUTH_SECRET, TEST_RUN_LIMITS } from "../../test/support/test-server.ts";
import { STATE_FILE_ENV, type E2EState } from "./state.ts";

const password = () => randomBytes(12).toString("base64url");

/**
 * One fresh PostgreSQL and one real app process (the production build in
 * NEXT_DIST_DIR, `.next` by default) for the whole run, seeded through the
 * domain functions. Returns the teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const database = await startTestDatabase();
  // The domain functions below read these, and the app is started with the same secret.
  process.env.DATABASE_URL = database.url;
  process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
  let app: Awaited<ReturnType<typeof startTestApp>> | undefined;
  const stateDir = mkdtempSync(path.join(tmpdir(), "countersign-e2e-"));
  try {
    app = await startTestApp(database.url, { ...LOCAL_RECEIVERS_ENV, ...TEST_RUN_LIMITS });
    process.env.COUNTERSIGN_PUBLIC_URL = app.url;

    const { createUser } = await import("../../lib/users/create-user.ts");
    const { createAgent } = await import("../../lib/agents/create-agent.ts");
    const { disconnectDb } = await import("../../lib/db.ts");

    const reviewer = { email: "rita.reviewer@example.test", password: password() };
    const secondReviewer = { email: "sam.second@example.test", password: password() };
    const lockoutUser = { email: "lockout@example.test", password: password() };
    await createUser({ email: reviewer.email, role: "reviewer", name: "Rita Reviewer", password: reviewer.password, actor: "e2e" });
    await createUser({ email: secondReviewer.email, role: "reviewer", name: "Sam Second", password: secondReviewer.password, actor: "e2e" });
    await createUser({ email: lockoutUser.email, role: "reviewer", password: lockoutUser.password, actor: "e2e" });
    const admin = { email: "ada.admin@example.test", password: password() };
    const auditor = { email: "otto.auditor@example.test", password: password() };
    await createUser({ email: admin.email, role: "admin", name: "Ada Admin", password: admin.password, actor: "e2e" });
    await createUser({ email: auditor.email, role: "auditor", name: "Otto Auditor", password: auditor.password, actor: "e2e" });

    const billing = await createAgent({
      name: "billing-agent",
      ownerEmail: "finance-lead@example.test",
      description: "Issues refunds and credits for support tickets.",
      tags: ["finance", "support"],
      actor: "e2e",
    });
    const ops = await createAgent({
      name: "ops-agent",
      ownerEmail: "platform@example.test",
      description: "Rotates credentials and restarts services.",
      tags: ["infra"],
      actor: "e2e",
    });
    await disconnectDb();

    const state: E2EState = {
      url: app.url,
      reviewer,
      secondReviewer,
      lockoutUser,
      admin,
      auditor,
      agents: {
        billing: { id: billing.agentId, name: "billing-agent", key: billing.key },
        ops: { id: ops.agentId, name: "ops-agent", key: ops.key },
      },
    };
    const file = path.join(stateDir, "state.json");
    writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
    // Workers start after global setup and inherit this.
    process.env[STATE_FILE_ENV] = file;
  } catch (err) {
    await app?.stop();
    await database.stop();
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }

  return async () => {
    await app?.stop();
    await database.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
}
