/**
 * Security headers. The dashboard must never be framed, and nothing an agent
 * sent may ever run as script: pages get a Content-Security-Policy with a
 * fresh nonce per response (set by `proxy.ts`, which hands it to Next.js,
 * which puts it on its own scripts); every other response gets a policy that
 * allows nothing at all.
 */

/** On every response. */
export const SECURITY_HEADERS: { key: string; value: string }[] = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
];

/** The policy of responses that are not pages (JSON, event streams, metrics): they load nothing. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A fresh nonce: 128 random bits, base64. */
export function newNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/**
 * The policy of a page. Scripts run only with this response's nonce (Next's
 * own and the API reference's), or when loaded by such a script
 * ('strict-dynamic'); no inline handlers, no `javascript:` URLs, no eval
 * outside development (React's dev tools need it). Styles keep
 * 'unsafe-inline': React `style` attributes and the API reference (Scalar
 * inserts its styles at run time) need it, and a style cannot run script.
 */
export function pageCsp(nonce: string, production: boolean): string {
  return [
    "default-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    // 'self' is ignored next to 'strict-dynamic' by current browsers; it is the fallback of CSP 2 ones.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${production ? "" : " 'unsafe-eval'"}`,
    "connect-src 'self'",
  ].join("; ");
}

/** The nonce of this request's page policy (proxy.ts puts the policy on the request too). */
export function nonceOf(headers: Headers): string {
  const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(headers.get("content-security-policy") ?? "")?.[1];
  if (!nonce) throw new Error("no CSP nonce on the request: is proxy.ts running for this path?");
  return nonce;
}
