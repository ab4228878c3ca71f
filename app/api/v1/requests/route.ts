export { createRequestRoute as POST, listRequestsRoute as GET } from "@/lib/http/agent-routes";
