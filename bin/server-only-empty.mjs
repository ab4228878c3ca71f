// `import "server-only"` marks the modules of lib/ that must never reach the
// browser. Next.js resolves it to an empty module on the server and fails the
// build when a client component imports one. Everything else that loads lib/
// (the CLI bundle, tsx, Vitest, Playwright's global setup) must resolve it to
// that empty module too: the package's main file throws. The package exports
// only ".", so its empty module is found beside the main file.
import { createRequire, register } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** The absolute path of `server-only/empty.js`. */
export const SERVER_ONLY_EMPTY = path.join(path.dirname(createRequire(import.meta.url).resolve("server-only")), "empty.js");

/** A module resolve hook (node:module `register`) that answers `server-only` with its empty module. */
export async function resolve(specifier, context, nextResolve) {
  if (specifier === "server-only") return { url: pathToFileURL(SERVER_ONLY_EMPTY).href, shortCircuit: true };
  return nextResolve(specifier, context);
}

/** Makes this process's later imports resolve `server-only` to its empty module. */
export function registerServerOnlyEmpty() {
  register(import.meta.url);
}
