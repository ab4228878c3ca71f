import { json } from "@/lib/http/body";
import { openApiDocument } from "@/lib/openapi";

export const dynamic = "force-dynamic";

export function GET(): Response {
  return json(openApiDocument());
}
