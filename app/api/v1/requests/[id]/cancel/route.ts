export { cancelRequestRoute as POST } from "@/lib/http/agent-routes";
