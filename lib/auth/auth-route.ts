import "server-only";
import { publicUrl } from "../env.ts";
import { problem, toProblem } from "../http/problem.ts";
import { authHandler } from "./config.ts";
import { withSafeCallbackUrl } from "./safe-callback-request.ts";

/**
 * Auth.js's own endpoints (/api/auth/*: CSRF token, sign-in callbacks, OIDC
 * redirects, sign-out, session), on the public origin (so its cookies and
 * redirects are those of the address people use), with unsafe return paths
 * dropped first (lib/auth/safe-callback-request.ts). Not part of the API
 * document: the sign-in page drives them.
 */
export async function authRoute(req: Request): Promise<Response> {
  if (req.method !== "GET" && req.method !== "POST") {
    const answer = problem("method_not_allowed", "this resource answers GET, POST");
    answer.headers.set("allow", "GET, POST");
    return answer;
  }
  try {
    const url = new URL(req.url);
    const onPublicOrigin = new Request(publicUrl() + url.pathname + url.search, {
      method: req.method,
      headers: req.headers,
      body: req.method === "POST" ? req.body : undefined,
      signal: req.signal,
      duplex: "half",
    } as RequestInit);
    return await authHandler(await withSafeCallbackUrl(onPublicOrigin));
  } catch (err) {
    return toProblem(err);
  }
}
