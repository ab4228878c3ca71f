import { NextResponse, type NextRequest } from "next/server";
import { newNonce, pageCsp } from "./lib/http/security-headers.ts";

/**
 * Gives every page response its own Content-Security-Policy nonce. Next.js
 * reads the policy from the request headers and puts the nonce on the scripts
 * it renders (pages are rendered per request: the root layout reads the
 * session); the API reference reads it with `nonceOf`.
 */
export function proxy(request: NextRequest): NextResponse {
  const csp = pageCsp(newNonce(), process.env.NODE_ENV === "production");
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  return response;
}

export const config = {
  // Not the API (next.config.ts gives it API_CSP) nor build assets.
  matcher: ["/((?!api/|_next/static/|_next/image).*)"],
};
