#!/usr/bin/env node
// The one test command (`npm test`), fastest feedback first: lint (Biome) and
// type-check, unit tests, then the build (Prisma client, SDK, Next.js), integration tests against
// real PostgreSQL and the real app over HTTP, and Playwright end-to-end tests
// in Chromium. Stops at the first failing stage.
import { spawnSync } from "node:child_process";

const stages = [
  ["lint", "npx", ["biome", "check", "--diagnostic-level=error", "."]],
  ["typecheck", "npm", ["run", "--silent", "typecheck"]],
  ["unit", "npx", ["vitest", "run", "--project", "unit"]],
  ["build", "npm", ["run", "--silent", "build"]],
  ["integration", "npx", ["vitest", "run", "--project", "integration"]],
  ["e2e", "npx", ["playwright", "test"]],
];

const only = process.argv.slice(2);
for (const [name, cmd, args] of stages) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) {
    console.error(`\n${name} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}
