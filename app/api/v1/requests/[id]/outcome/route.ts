export { reportOutcomeRoute as POST } from "@/lib/http/agent-routes";
