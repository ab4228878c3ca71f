import "server-only";
import { readText } from "../http/body.ts";
import { sameOriginPath } from "../http/safe-redirect.ts";

const CALLBACK_COOKIES = new Set(["authjs.callback-url", "__Secure-authjs.callback-url"]);

/** Cookie values as Auth.js reads them: percent-decoded when they decode. */
function decodeCookieValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const isSafe = (value: string, origin: string) => sameOriginPath(value, origin) !== null;

/**
 * Auth.js refuses a `callbackUrl` it cannot parse (a CR, `javascript:`) by
 * throwing, which becomes a 500. Any unsafe return path in the query, the
 * form body or the callback cookie is dropped before Auth.js reads it, so the
 * person lands on the queue instead (the `redirect` callback is the second
 * line: `safeRedirectUrl`).
 */
export async function withSafeCallbackUrl(req: Request): Promise<Request> {
  const url = new URL(req.url);
  const origin = url.origin;
  let changed = false;
  if (url.searchParams.getAll("callbackUrl").some((value) => !isSafe(value, origin))) {
    url.searchParams.delete("callbackUrl");
    changed = true;
  }
  const headers = new Headers(req.headers);
  const pairs = (req.headers.get("cookie") ?? "").split(";");
  const unsafeCookies = new Set(
    pairs
      .map((pair) => {
        const eq = pair.indexOf("=");
        return { name: pair.slice(0, eq).trim(), value: decodeCookieValue(pair.slice(eq + 1).trim()) };
      })
      .filter((c) => CALLBACK_COOKIES.has(c.name) && !isSafe(c.value, origin))
      .map((c) => c.name),
  );
  if (unsafeCookies.size > 0) {
    // Drop those pairs from the raw header, leaving every other cookie exactly as the browser sent it.
    const kept = pairs.filter((pair) => !unsafeCookies.has(pair.split("=", 1)[0].trim()));
    headers.set("cookie", kept.join(";"));
    changed = true;
  }
  let body: string | undefined;
  if (req.method === "POST" && req.headers.get("content-type")?.startsWith("application/x-www-form-urlencoded")) {
    body = await readText(req);
    const form = new URLSearchParams(body);
    const value = form.get("callbackUrl");
    if (value !== null && !isSafe(value, origin)) {
      form.delete("callbackUrl");
      body = form.toString();
      changed = true;
    }
  }
  if (!changed && body === undefined) return req;
  if (body !== undefined) headers.delete("content-length");
  const init = { method: req.method, headers, body: body ?? (req.method === "GET" || req.method === "HEAD" ? undefined : req.body), duplex: "half" };
  return new Request(url, init as RequestInit);
}
