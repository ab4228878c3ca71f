/**
 * Where a sign-in (or any `callbackUrl`) may send a person afterwards: only
 * a path on this origin. Browsers drop tabs and newlines inside URLs and read
 * `\` as `/`, so `/\t/evil.example` or `/\evil.example` become
 * `//evil.example`, another site; and a CR or LF would break the Location
 * header. So any control character, whitespace or backslash refuses the
 * value, in the raw value and after percent-decoding (repeatedly, for double
 * encoding), and so does anything that is or becomes protocol-relative.
 */
const PROBE_ORIGIN = "https://countersign.invalid";
// C0 and C1 controls, DEL, backslash, and Unicode whitespace (which covers space, tab, CR, LF).
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\\\s\u200b\u2028\u2029\ufeff]/u;
const MAX_LENGTH = 2048;

function decodings(raw: string): string[] | null {
  const layers = [raw];
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(layers[layers.length - 1]);
    } catch {
      return null;
    }
    if (next === layers[layers.length - 1]) return layers;
    layers.push(next);
  }
  // Still changing after three decodings: nobody writes a return path like that.
  return null;
}

/** A same-origin path (`/…`, with its query and fragment) from untrusted input, or null when it could lead anywhere else. */
export function safeCallbackPath(raw: unknown): string | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_LENGTH) return null;
  const layers = decodings(raw);
  if (!layers) return null;
  for (const layer of layers) {
    if (FORBIDDEN.test(layer)) return null;
    if (!layer.startsWith("/") || layer.startsWith("//")) return null;
  }
  let url: URL;
  try {
    url = new URL(raw, PROBE_ORIGIN);
  } catch {
    return null;
  }
  if (url.origin !== PROBE_ORIGIN) return null;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Dot segments can leave a protocol-relative path behind: `/.//evil.example` is `//evil.example`.
  return path.startsWith("//") ? null : path;
}

/** `safeCallbackPath` for a value that may also be an absolute URL on `baseUrl`. */
export function sameOriginPath(url: string, baseUrl: string): string | null {
  const relative = url === baseUrl ? "/" : url.startsWith(`${baseUrl}/`) ? url.slice(baseUrl.length) : url;
  return safeCallbackPath(relative);
}

/** Auth.js `redirect` callback: a same-origin URL for `url`, or the base URL. */
export function safeRedirectUrl({ url, baseUrl }: { url: string; baseUrl: string }): string {
  const path = sameOriginPath(url, baseUrl);
  return path ? `${baseUrl}${path}` : baseUrl;
}
