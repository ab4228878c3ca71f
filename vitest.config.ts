import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["lib/**/*.unit.test.ts"], environment: "node" },
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
  resolve: { alias: { "@": new URL(".", import.meta.url).pathname } },
});
