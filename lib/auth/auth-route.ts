import "server-only";
import { toProblem } from "../http/problem.ts";
import { methodNotAllowed } from "../http/router.ts";
import { authHandler } from "./config.ts";
import { withSafeCallbackUrl } from "./safe-callback-request.ts";

/**
 * Auth.js's own endpoints (/api/auth/*: CSRF token, sign-in callbacks, OIDC
 * redirects, sign-out, session) for a request on the public origin, with
 * unsafe return paths dropped first (lib/auth/safe-callback-request.ts). Not
 * part of the API document: the sign-in page drives them.
 */
export async function authRoute(req: Request): Promise<Response> {
  if (req.method !== "GET" && req.method !== "POST") return methodNotAllowed(["GET", "POST"]);
  try {
    return await authHandler(await withSafeCallbackUrl(req));
  } catch (err) {
    return toProblem(err);
  }
}
