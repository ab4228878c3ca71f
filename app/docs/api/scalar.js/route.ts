import { scalarBundle, scalarVersion } from "../_lib/scalar-bundle";

/**
 * Scalar's standalone bundle (3.5 MB; Next compresses it on the way out). Its
 * URL carries the version, so browsers may keep it for a year.
 */
export async function GET(req: Request): Promise<Response> {
  const version = await scalarVersion();
  const headers = { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=31536000, immutable", etag: `"scalar-${version}"` };
  if (req.headers.get("if-none-match") === headers.etag) return new Response(null, { status: 304, headers });
  return new Response(new Uint8Array(await scalarBundle()), { headers });
}
