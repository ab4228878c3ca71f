import { execFileSync } from "node:child_process";
import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

// The domain core (database, caches, the hub, limits, metrics) loads once per
// process: in the server (lib/runtime/server.ts). Next.js renders pages only,
// so nothing it bundles (app/, the components they import, proxy.ts,
// next.config.ts) may reach lib/ beyond these pure modules; a page learns who
// is signed in from the server (lib/auth/principal-header.ts) and fetches
// everything else from the API.
const PAGE_SAFE = [
  "lib/agents/connect-snippets.ts",
  "lib/auth/principal-header.ts",
  "lib/env.ts",
  "lib/http/safe-redirect.ts",
  "lib/http/security-headers.ts",
  "lib/text/hidden-characters.ts",
  "lib/users/roles.ts",
];

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("one copy of the domain core", () => {
  it("Next.js bundles only pure modules of lib/", async () => {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "app"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => /\.(ts|tsx)$/.test(f) && !f.endsWith(".test.ts"));
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: [...files, "proxy.ts", "next.config.ts"],
      bundle: true,
      write: false,
      metafile: true,
      packages: "external",
      outdir: "/nonexistent",
      platform: "node",
      format: "esm",
      jsx: "automatic",
      alias: { "@": "." },
      loader: { ".css": "empty" },
      logLevel: "silent",
    });
    const reached = Object.keys(result.metafile.inputs).filter((f) => f.startsWith("lib/"));
    expect(files.length).toBeGreaterThan(20);
    expect(reached.filter((f) => !PAGE_SAFE.includes(f))).toEqual([]);
  });
});
