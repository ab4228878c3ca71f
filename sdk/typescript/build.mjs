// Builds dist/esm (ES modules) and dist/cjs (CommonJS) with two tsc runs in
// parallel. tsc comes from the repository (a root devDependency), or from
// wherever `typescript` resolves for an installed package; nothing else is needed.
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(path.join(here, "package.json")).resolve("typescript/bin/tsc");

function run(project) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, "-p", path.join(here, project)], { cwd: here, stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`tsc -p ${project} failed (${signal ?? `exit ${code}`})`))));
  });
}

rmSync(path.join(here, "dist"), { recursive: true, force: true });
await Promise.all([run("tsconfig.esm.json"), run("tsconfig.cjs.json")]);

const cjs = path.join(here, "dist", "cjs");
mkdirSync(cjs, { recursive: true });
// The package is "type": "module"; this marks dist/cjs as CommonJS for Node and for TypeScript.
writeFileSync(path.join(cjs, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
// jose is ESM-only: CommonJS must load it with a real import(), which tsc
// rewrites to require() for module CommonJS. This file replaces the compiled
// src/load-jose.ts (same export, same behaviour; its source map no longer applies).
rmSync(path.join(cjs, "load-jose.js.map"), { force: true });
writeFileSync(
  path.join(cjs, "load-jose.js"),
  `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.loadJose = loadJose;
function loadJose() {
    return import("jose");
}
`,
);
