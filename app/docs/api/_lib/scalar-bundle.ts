import { readFile } from "node:fs/promises";
import path from "node:path";

/*
 * Scalar's browser bundle, served from our own origin: the product works
 * offline and its CSP allows no remote scripts. next.config.ts lists these
 * files for output tracing, since they are read at run time, not imported.
 */
const PACKAGE_JSON = path.join(process.cwd(), "node_modules/@scalar/api-reference/package.json");
const BUNDLE = path.join(process.cwd(), "node_modules/@scalar/api-reference/dist/browser/standalone.js");

let version: Promise<string> | undefined;
let bundle: Promise<Buffer> | undefined;

/** The installed version: part of the bundle's URL, so a new version is never served from a stale cache. */
export function scalarVersion(): Promise<string> {
  return (version ??= readFile(PACKAGE_JSON, "utf8").then((text) => (JSON.parse(text) as { version: string }).version));
}

export function scalarBundle(): Promise<Buffer> {
  return (bundle ??= readFile(BUNDLE));
}

export async function scalarBundleUrl(): Promise<string> {
  return `/docs/api/scalar.js?v=${encodeURIComponent(await scalarVersion())}`;
}
