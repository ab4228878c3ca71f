import "server-only";
import { decode, getToken, type JWT, type JWTDecodeParams } from "@auth/core/jwt";
import { env, publicUrl } from "../env.ts";
import type { Reviewer } from "../requests/decide-request.ts";
import { findLiveSession } from "./sessions.ts";

export interface CurrentSession {
  user: Reviewer & { name: string | null; mustChangePassword: boolean };
  /** The server-side session (`user_sessions` row) the cookie names. */
  sessionId: string;
}

/** Session cookies decoded recently, by their exact value (see `decodeOnce`). */
const decoded = new Map<string, JWT>();
const DECODED_KEPT = 1_000;

/**
 * Auth.js's own decoding of the session cookie (key derivation, then
 * decryption and integrity check: several asynchronous crypto steps, each
 * waiting its turn on the event loop and the crypto thread pool), done once
 * per cookie value: a signed-in person sends the same cookie on every call.
 * Only cookies that decoded are kept, and each is good only until its own
 * `exp`; whether the session is still live is asked of the database on
 * every call regardless (`findLiveSession`).
 */
async function decodeOnce(params: JWTDecodeParams): Promise<JWT | null> {
  const known = decoded.get(params.token ?? "");
  if (known) {
    if (typeof known.exp === "number" && known.exp * 1000 > Date.now()) return known;
    decoded.delete(params.token ?? "");
    return null;
  }
  const token = await decode(params);
  if (token && params.token) {
    if (decoded.size >= DECODED_KEPT) decoded.delete(decoded.keys().next().value as string);
    decoded.set(params.token, token);
  }
  return token;
}

/**
 * The signed-in user behind a request's cookies, or null: the session cookie
 * (an Auth.js JWT, decoded as Auth.js does) names a server-side session, and
 * the session is looked up on every call (lib/auth/sessions.ts), so a
 * signed-out, revoked or disabled session is null at once and the role is
 * always the current one. A request without a session cookie costs nothing;
 * a lookup that fails (the database is away) throws, which is the caller's
 * answer (503), never "signed out".
 */
export async function currentSession(headers: Headers): Promise<CurrentSession | null> {
  const cookie = headers.get("cookie");
  if (!cookie?.includes("authjs.session-token")) return null;
  // Only the cookie: Auth.js would also read a bearer token, which is not a session here.
  const token = await getToken({
    req: { headers: new Headers({ cookie }) },
    secret: env().AUTH_SECRET,
    secureCookie: publicUrl().startsWith("https:"),
    decode: decodeOnce,
  });
  if (typeof token?.sid !== "string") return null;
  const live = await findLiveSession(token.sid);
  if (!live) return null;
  return {
    user: { id: live.userId, email: live.email, role: live.role, name: live.name, mustChangePassword: live.mustChangePassword },
    sessionId: live.sessionId,
  };
}
