export const dynamic = "force-dynamic";
export { jwksRoute as GET } from "@/lib/http/agent-routes";
