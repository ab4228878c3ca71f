import { db } from "@/lib/db";
import { json } from "@/lib/http/body";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  try {
    await db().$queryRaw`SELECT 1`;
    return json({ status: "ok", database: "ok" });
  } catch {
    return json({ status: "degraded", database: "unavailable" }, { status: 503 });
  }
}
