import { nonceOf } from "@/lib/http/security-headers";
import { referencePage } from "./_lib/reference-page";
import { scalarBundleUrl } from "./_lib/scalar-bundle";

/** The API reference, rendered in the browser by Scalar from the served OpenAPI document. Public, like the document. */
export async function GET(req: Request): Promise<Response> {
  return new Response(referencePage(await scalarBundleUrl(), nonceOf(req.headers)), {
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
  });
}
