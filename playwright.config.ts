import { existsSync } from "node:fs";
import { defineConfig } from "@playwright/test";
import { registerServerOnlyEmpty } from "./bin/server-only-empty.mjs";

// The global setup seeds through lib/: its server modules' `server-only` marker is the empty module, as on the server.
registerServerOnlyEmpty();

// Debian's Chromium where it is installed (CI, these machines); Playwright's own browser elsewhere.
const chromium = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

export default defineConfig({
  testDir: "e2e",
  // Starts a fresh PostgreSQL and the real app (production build from NEXT_DIST_DIR, default .next), seeds users and agents.
  globalSetup: "./e2e/support/global-setup.ts",
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    browserName: "chromium",
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
