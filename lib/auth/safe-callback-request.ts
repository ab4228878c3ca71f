import { NextRequest } from "next/server";
import { readText } from "../http/body.ts";
import { safeCallbackPath } from "../http/safe-redirect.ts";

const CALLBACK_COOKIES = ["authjs.callback-url", "__Secure-authjs.callback-url"];

/** True when `value` is a same-origin return path, relative or absolute on `origin`. */
function isSafe(value: string, origin: string): boolean {
  const relative = value === origin ? "/" : value.startsWith(`${origin}/`) ? value.slice(origin.length) : value;
  return safeCallbackPath(relative) !== null;
}

/**
 * Auth.js refuses a `callbackUrl` it cannot parse (a CR, `javascript:`) by
 * throwing, which becomes a 500. Any unsafe return path in the query, the
 * form body or the callback cookie is dropped before Auth.js reads it, so the
 * person lands on the queue instead (the `redirect` callback is the second
 * line: `safeRedirectUrl`).
 */
export async function withSafeCallbackUrl(req: NextRequest): Promise<NextRequest> {
  const url = new URL(req.url);
  const origin = url.origin;
  let changed = false;
  for (const value of url.searchParams.getAll("callbackUrl")) {
    if (!isSafe(value, origin)) {
      url.searchParams.delete("callbackUrl");
      changed = true;
      break;
    }
  }
  const headers = new Headers(req.headers);
  for (const name of CALLBACK_COOKIES) {
    const value = req.cookies.get(name)?.value;
    if (value !== undefined && !isSafe(value, origin)) {
      const rest = req.cookies.getAll().filter((c) => c.name !== name);
      headers.set("cookie", rest.map((c) => `${c.name}=${encodeURIComponent(c.value)}`).join("; "));
      changed = true;
    }
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
  return new NextRequest(url, init as ConstructorParameters<typeof NextRequest>[1]);
}
