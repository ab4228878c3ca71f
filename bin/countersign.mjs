#!/usr/bin/env node
// The `countersign` command. The CLI is TypeScript: it runs from an esbuild
// bundle of cli/main.ts (dependencies left in node_modules), cached under
// node_modules/.cache/countersign-cli and rebuilt, in about half a second,
// when one of its source files changes. Loading each of some 200 modules
// through a TypeScript loader on every run cost most of a second.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Size and mtime of every input: any edit, added or removed import changes it. Null when one is gone. */
function fingerprint(inputs) {
  const hash = createHash("sha256");
  for (const file of inputs) {
    const s = statSync(path.join(root, file), { throwIfNoEntry: false });
    if (!s) return null;
    hash.update(`${file}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest("hex").slice(0, 16);
}

function cacheDir() {
  const local = path.join(root, "node_modules", ".cache", "countersign-cli");
  try {
    mkdirSync(local, { recursive: true });
    return local;
  } catch {
    // A read-only installation: keep the cache in the temporary folder instead.
    const dir = path.join(tmpdir(), `countersign-cli-${createHash("sha256").update(root).digest("hex").slice(0, 12)}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }
}

function cached(dir) {
  try {
    const { key, inputs } = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"));
    const entry = path.join(dir, key, "main.mjs");
    return fingerprint(inputs) === key && existsSync(entry) ? entry : null;
  } catch {
    return null;
  }
}

async function build(dir) {
  const { build } = await import("esbuild");
  const { SERVER_ONLY_EMPTY } = await import("./server-only-empty.mjs");
  const started = Date.now();
  const out = path.join(dir, `build-${process.pid}-${started}`);
  const result = await build({
    absWorkingDir: root,
    entryPoints: ["cli/main.ts"],
    outdir: out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    // Commands import their code on use: each stays a chunk of its own, loaded only by that command.
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    metafile: true,
    logLevel: "error",
    plugins: [
      {
        // Server modules mark themselves with `import "server-only"`; on the server that is its empty module.
        name: "server-only-empty",
        setup(b) {
          b.onResolve({ filter: /^server-only$/ }, () => ({ path: SERVER_ONLY_EMPTY }));
        },
      },
      {
        // Sources find files relative to themselves (the project root, package.json): keep their own URL.
        name: "source-import-meta-url",
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, async ({ path: file }) => ({
            contents: (await readFile(file, "utf8")).replaceAll("import.meta.url", JSON.stringify(pathToFileURL(file).href)),
            loader: "ts",
          }));
        },
      },
    ],
  });
  const inputs = Object.keys(result.metafile.inputs).sort();
  const key = fingerprint(inputs);
  const target = path.join(dir, key);
  try {
    renameSync(out, target);
  } catch {
    rmSync(out, { recursive: true, force: true }); // another process built the same sources first
  }
  // A source saved while building may not be in this bundle: use it this once, cache nothing.
  if (inputs.every((f) => statSync(path.join(root, f)).mtimeMs < started)) {
    const manifest = path.join(dir, `manifest-${process.pid}.json`);
    writeFileSync(manifest, JSON.stringify({ key, inputs }));
    renameSync(manifest, path.join(dir, "manifest.json"));
    // Earlier builds, once no command can still be starting from them.
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (name !== key && name !== "manifest.json" && statSync(p).mtimeMs < Date.now() - 3_600_000) rmSync(p, { recursive: true, force: true });
    }
  }
  return path.join(target, "main.mjs");
}

const dir = cacheDir();
await import(pathToFileURL(cached(dir) ?? (await build(dir))).href);
