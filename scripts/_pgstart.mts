import { startEmbeddedPostgres } from "../lib/runtime/embedded-postgres.ts";
const db = await startEmbeddedPostgres({ dataDir: "/tmp/cs-dev", port: 54400, log: console.log });
console.log("URL", db.url);
setInterval(() => {}, 1e9);
