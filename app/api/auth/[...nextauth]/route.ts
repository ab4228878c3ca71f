import type { NextRequest } from "next/server";
import { handlers } from "@/lib/auth/config";
import { withSafeCallbackUrl } from "@/lib/auth/safe-callback-request";

export const GET = async (req: NextRequest) => handlers.GET(await withSafeCallbackUrl(req));
export const POST = async (req: NextRequest) => handlers.POST(await withSafeCallbackUrl(req));
