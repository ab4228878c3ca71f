import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";

/*
 * Two boundaries, checked by bundling with esbuild (packages left out) and
 * following the imports that stay in the bundle:
 *
 * - Server modules start with `import "server-only"`, and Next.js fails the
 *   build when a client component reaches one. This checks the same without
 *   Next.js or the package, for every client module and every schema module
 *   (which the browser's types come from).
 * - The domain core (database, caches, the hub, limits, metrics) loads once
 *   per process, in the server (lib/runtime/server.ts). Next.js renders pages
 *   only, so nothing it bundles (app/, the components it imports, proxy.ts,
 *   next.config.ts) may reach lib/ beyond a few pure modules: a page learns
 *   who is signed in from the server (lib/auth/principal-header.ts) and
 *   fetches everything else from the API.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const USE_CLIENT = /^(?:\s|\/\/.*\n|\/\*[\s\S]*?\*\/)*["']use client["']/;

/** Source files under `dir` (relative to the root), tests left out. */
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
    .map((f) => path.join(dir, f));
}

const clientModules = ["app", "components"].flatMap(sources).filter((f) => USE_CLIENT.test(readFileSync(path.join(ROOT, f), "utf8")));
const schemaModules = sources("lib/schemas");

/** Every module bundled from `entries` (for the browser, or for Node.js), with the imports it makes. */
async function importGraph(entries: string[], platform: "browser" | "node" = "browser"): Promise<Metafile["inputs"]> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: entries,
    bundle: true,
    write: false,
    metafile: true,
    packages: "external",
    outdir: "out",
    format: "esm",
    platform,
    loader: { ".css": "empty" },
    logLevel: "silent",
  });
  return result.metafile.inputs;
}

/** The import chain from `entry` to the nearest module that `matches`, or null when none is reached. */
function chainTo(inputs: Metafile["inputs"], entry: string, matches: (file: string) => boolean): string[] | null {
  const parent = new Map<string, string | null>([[entry, null]]);
  const queue = [entry];
  for (const file of queue) {
    if (matches(file)) {
      const chain = [file];
      for (let p = parent.get(file); p; p = parent.get(p)) chain.unshift(p);
      return chain;
    }
    for (const { path: next, external } of inputs[file]?.imports ?? []) {
      if (external || parent.has(next)) continue;
      parent.set(next, file);
      queue.push(next);
    }
  }
  return null;
}

/** For each entry that reaches a module that `matches`: the chain, as one line. */
function offending(inputs: Metafile["inputs"], entries: string[], matches: (file: string) => boolean): string[] {
  return entries.flatMap((entry) => {
    const chain = chainTo(inputs, entry, matches);
    return chain ? [chain.join(" → ")] : [];
  });
}

/** Whether `file` is a server module: one that imports `server-only`. */
const isServerModule = (inputs: Metafile["inputs"]) => (file: string) => inputs[file]?.imports.some((i) => i.path === "server-only") ?? false;

describe("the client boundary", () => {
  let inputs: Metafile["inputs"];
  beforeAll(async () => {
    inputs = await importGraph([...clientModules, ...schemaModules]);
  });

  it("sees server modules and the chains to them", async () => {
    expect(clientModules).toContain("app/_review/review-api.ts");
    expect(clientModules).not.toContain("app/layout.tsx");
    const server = await importGraph(["lib/agents/list-agents.ts"]);
    expect(isServerModule(server)("lib/db.ts")).toBe(true);
    const chain = chainTo(server, "lib/agents/list-agents.ts", (f) => f === "lib/env.ts");
    expect([chain?.at(0), chain?.at(-1)]).toEqual(["lib/agents/list-agents.ts", "lib/env.ts"]);
  });

  it("no client module reaches a server module", () => {
    expect(offending(inputs, clientModules, isServerModule(inputs))).toEqual([]);
  });

  it("no schema module reaches a server module", () => {
    expect(offending(inputs, schemaModules, isServerModule(inputs))).toEqual([]);
  });

  it("client modules take the schemas' types only (zod stays out of the browser)", () => {
    expect(offending(inputs, clientModules, (f) => f.startsWith("lib/schemas/"))).toEqual([]);
  });
});

/** The modules of lib/ that Next.js may load: pure ones, holding no state. */
const PAGE_SAFE = new Set([
  "lib/admin-tokens/scopes.ts",
  "lib/agents/bulk-preview.ts",
  "lib/agents/connect-snippets.ts",
  "lib/auth/principal-header.ts",
  "lib/env.ts",
  "lib/http/safe-redirect.ts",
  "lib/http/security-headers.ts",
  "lib/text/hidden-characters.ts",
  "lib/text/param-kinds.ts",
  "lib/text/summary-facts.ts",
  "lib/users/roles.ts",
]);

describe("one copy of the domain core", () => {
  it("Next.js bundles only pure modules of lib/", async () => {
    const nextModules = [...sources("app"), "proxy.ts", "next.config.ts"];
    expect(nextModules.length).toBeGreaterThan(20);
    const pages = await importGraph(nextModules, "node");
    expect(offending(pages, nextModules, (f) => f.startsWith("lib/") && !PAGE_SAFE.has(f))).toEqual([]);
  });
});
