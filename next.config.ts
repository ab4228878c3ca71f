import type { NextConfig } from "next";
import { SECURITY_HEADERS } from "./lib/http/security-headers.ts";

const config: NextConfig = {
  // A separate build folder per checkout user (tests, benchmarks) when set; `.next` otherwise.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  reactStrictMode: true,
  // The API reference (/docs/api) serves Scalar's browser bundle, read from node_modules at run time.
  outputFileTracingIncludes: {
    "/docs/api/scalar.js": ["./node_modules/@scalar/api-reference/dist/browser/standalone.js", "./node_modules/@scalar/api-reference/package.json"],
    "/docs/api": ["./node_modules/@scalar/api-reference/package.json"],
  },
  async headers() {
    // Pages get their policy, with a nonce per response, from proxy.ts. (The
    // API never reaches Next.js: lib/runtime/server.ts answers it with its own headers.)
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
};

export default config;
