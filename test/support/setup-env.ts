import { inject } from "vitest";

// Domain functions called from tests use the same database as the app under test.
process.env.DATABASE_URL = inject("databaseUrl");
process.env.AUTH_SECRET = inject("authSecret");
process.env.COUNTERSIGN_PUBLIC_URL = inject("baseUrl");
