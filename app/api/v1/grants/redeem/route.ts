export { redeemGrantRoute as POST } from "@/lib/http/agent-routes";
