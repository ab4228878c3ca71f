import "server-only";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

function create() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "countersign_" });
  return {
    registry,
    requestsCreated: new Counter({
      name: "countersign_requests_created_total",
      help: "Action requests created, by the effect of the rule that matched",
      labelNames: ["effect"] as const,
      registers: [registry],
    }),
    decisions: new Counter({
      name: "countersign_votes_total",
      help: "Reviewer votes recorded",
      labelNames: ["decision"] as const,
      registers: [registry],
    }),
    redemptions: new Counter({
      name: "countersign_grant_redemptions_total",
      help: "Grant redemption attempts, by result",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    conditionErrors: new Counter({
      name: "countersign_policy_condition_errors_total",
      help: "Rule conditions that errored while a request was evaluated (each then treated as a match, or for allow rules as no match), by rule name",
      labelNames: ["rule"] as const,
      registers: [registry],
    }),
    ruleSetLoads: new Counter({
      name: "countersign_policy_rule_set_loads_total",
      help: "Times this instance loaded and compiled the policy rules it evaluates requests with (on first use and after each policy change)",
      registers: [registry],
    }),
    historyReads: new Counter({
      name: "countersign_history_snapshots_total",
      help: "History totals that creates evaluated history.count/history.sum conditions with, by where they came from: memory (read earlier by this instance, still current) or database",
      labelNames: ["from"] as const,
      registers: [registry],
    }),
    waiting: new Gauge({ name: "countersign_waiting_agents", help: "Agents long-waiting on this instance", registers: [registry] }),
    inFlight: new Gauge({
      name: "countersign_calls_in_flight",
      help: "Agent and executor calls being worked on by this instance (held long-waits not counted)",
      registers: [registry],
    }),
    agentsAtCallLimit: new Gauge({
      name: "countersign_agents_at_call_limit",
      help: "Agents with their maximum of calls in flight on this instance (COUNTERSIGN_MAX_INFLIGHT_PER_AGENT): their next call is answered 429",
      registers: [registry],
    }),
    poolConnections: new Gauge({
      name: "countersign_db_pool_connections",
      help: "Database connections of this instance by pool (agents, people) and state (busy, idle, waiting: calls waiting for one)",
      labelNames: ["pool", "state"] as const,
      registers: [registry],
    }),
    yieldsToPeople: new Counter({
      name: "countersign_db_yields_to_people_total",
      help: "Statements of agents' or background work that waited before being sent because people's calls were being served (at most COUNTERSIGN_PEOPLE_FIRST_MS each)",
      registers: [registry],
    }),
    shed: new Counter({
      name: "countersign_calls_shed_total",
      help: "Calls answered 429 or 503 with Retry-After by the overload limits, by the limit reached (agent, process, event_loop, waits)",
      labelNames: ["limit"] as const,
      registers: [registry],
    }),
    callDuration: new Histogram({
      name: "countersign_http_request_duration_seconds",
      help: "API calls answered from the route table, by method, route (its path template) and status: from routing to the answer (a long-wait's whole wait included)",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    reviewStreams: new Gauge({ name: "countersign_review_streams", help: "Open dashboard event streams on this instance", registers: [registry] }),
    streamGroupLookups: new Counter({
      name: "countersign_review_stream_group_lookups_total",
      help: "Reads of a request's reviewer groups to filter the dashboard streams (at most one per request per instance while cached)",
      registers: [registry],
    }),
  };
}

let registry: ReturnType<typeof create> | undefined;

/** The process's metrics: one registry, created on first use. */
export function metrics(): ReturnType<typeof create> {
  registry ??= create();
  return registry;
}
