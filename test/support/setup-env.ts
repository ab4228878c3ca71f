import { afterAll, inject } from "vitest";
import { disconnectDb } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { LOCAL_RECEIVERS_ENV, TEST_RUN_LIMITS } from "./test-server.ts";

// Domain functions called from tests use the same database as the app under test.
process.env.DATABASE_URL = inject("databaseUrl");
process.env.AUTH_SECRET = inject("authSecret");
process.env.COUNTERSIGN_PUBLIC_URL = inject("baseUrl");
// Deliveries sent from tests (deliverDue, forwardToSink) go to receivers on 127.0.0.1, like the app's.
Object.assign(process.env, LOCAL_RECEIVERS_ENV);
// Apps started by test files (startTestApp) inherit the raised overload limits (see TEST_RUN_LIMITS).
Object.assign(process.env, TEST_RUN_LIMITS);

// Each test file loads its own copy of lib/ (vitest isolates files): its pool and hub close with it.
afterAll(async () => {
  await closeHub();
  await disconnectDb();
});
