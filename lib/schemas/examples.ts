/**
 * The request context from the API contract's example: used by the OpenAPI
 * document, and by tests, end-to-end specs and benchmarks as a realistic one.
 */
export const EXAMPLE_CONTEXT = Object.freeze({
  task_id: "ticket-4521",
  on_behalf_of: "alice@example.com",
  delegation_chain: ["support-planner", "billing-agent"],
  confidence: 0.82,
  environment: { name: "production", runtime: "k8s", sandboxed: true },
  labels: { team: "support" },
});
