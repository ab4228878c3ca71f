export { getRequestRoute as GET } from "@/lib/http/agent-routes";
