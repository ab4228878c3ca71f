/**
 * jose, loaded on first use so that everything else in the SDK has no
 * dependency at all. jose is ESM-only; the CommonJS build replaces this file
 * with one that keeps a real import() (tsc would turn it into require()).
 * Keep the two in step: see build.mjs.
 */
export function loadJose(): Promise<typeof import("jose")> {
  return import("jose");
}
