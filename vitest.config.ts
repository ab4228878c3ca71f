import { defineConfig } from "vitest/config";
import { SERVER_ONLY_EMPTY } from "./bin/server-only-empty.mjs";

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["lib/**/*.unit.test.ts", "cli/**/*.unit.test.ts"], environment: "node" },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["lib/**/*.test.ts", "test/**/*.test.ts", "sdk/typescript/test/**/*.test.ts"],
          exclude: ["lib/**/*.unit.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          setupFiles: ["test/support/setup-env.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
  // Tests load server modules: their `server-only` marker is its empty module, as on the server.
  resolve: { alias: { "@": new URL(".", import.meta.url).pathname, "server-only": SERVER_ONLY_EMPTY } },
});
