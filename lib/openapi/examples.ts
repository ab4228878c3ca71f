import "server-only";
import { canonicalSha256 } from "../crypto.ts";
import { EXAMPLE_CONTEXT } from "../schemas/examples.ts";

/*
 * The document's examples: one refund story told through every endpoint.
 * test/api/openapi-document.test.ts parses each with the schema it sits
 * beside, so they cannot drift from what the handlers accept and answer.
 */

export const IDS = {
  request: "req_01kbxq3f2m7w8c4t6v0z5n1rhd",
  agent: "agt_01k9w2e8r5t3y7p4m6n8b2c4vd",
  rule: "pol_01k9w3a6d2f8g4h7j5k3m9n1pq",
  grant: "grt_01kbxq7h4j2k8m3n5p9q1r6stw",
  user: "usr_01k8z4c2v6b9n3m7x5q1w8e4rt",
  secondUser: "usr_01k8z4f7h2j5k8m1n4p7q0r3sv",
  group: "grp_01k8z5d3w7c1m4n8x6q2w9e5ry",
  key: "vctbrtZlbkE88",
  adminToken: "tt3Vd8oWMwgkN",
};

export const AGENT_KEY = `csk_${IDS.key}_mpGsjDwDCXAWLLLwzddcnPUtiEagp6zN7NzZ7sLhuns`;
export const ADMIN_TOKEN = `csa_${IDS.adminToken}_h2DBnm7rtYahBME75yA3OQ43oKygA8QwASuQ3Q4Ecs3`;

const PARAMS = { amount: 500, currency: "USD" };
const CREATED = "2026-11-23T04:00:00.000Z";

export const CREATE_REQUEST = {
  action: "payments.refund",
  resource: "customer:cus_123",
  params: PARAMS,
  summary: "Refund $500 to customer cus_123 for a duplicate charge",
  justification: "Ticket #4521: charged twice on 2026-11-20; the second charge is a duplicate.",
  context: EXAMPLE_CONTEXT,
  expires_in: 900,
  callback_url: "https://agent.example.com/hooks/countersign",
  idempotency_key: "ticket-4521-refund-1",
};

export const CREATE_REQUEST_MINIMAL = {
  action: "db.drop_database",
  resource: "db:analytics-staging",
  summary: "Drop the analytics staging database after the migration",
};

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A grant token as the gateway signs it (header and claims real, signature illustrative). */
export const GRANT_TOKEN = [
  b64({ alg: "EdDSA", kid: "k_7pQ2mX4vL9aB", typ: "JWT" }),
  b64({
    iss: "https://countersign.example.com",
    sub: IDS.agent,
    aud: "countersign",
    jti: IDS.grant,
    iat: 1795492920,
    nbf: 1795492920,
    exp: 1795493220,
    request_id: IDS.request,
    action: "payments.refund",
    resource: "customer:cus_123",
    params_sha256: canonicalSha256(PARAMS),
    approved_by: ["bob@example.com", "carol@example.com"],
  }),
  "Qm9iIGFuZCBDYXJvbCBhcHByb3ZlZCB0aGlzIHJlZnVuZDsgdGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSE",
].join(".");

const PENDING = {
  id: IDS.request,
  agent_id: IDS.agent,
  action: "payments.refund",
  resource: "customer:cus_123",
  params: PARAMS,
  params_sha256: canonicalSha256(PARAMS),
  original_params: null as Record<string, unknown> | null,
  original_params_sha256: null as string | null,
  amended_by: null as string | null,
  summary: CREATE_REQUEST.summary,
  justification: CREATE_REQUEST.justification,
  context: { ...EXAMPLE_CONTEXT },
  status: "pending" as const,
  policy: { id: IDS.rule, name: "large-payments", version: 3, effect: "require_approval" as const, approvals_required: 2 },
  approvals: [] as { reviewer: string; reason: string | null; at: string }[],
  decision: null,
  created_at: CREATED,
  expires_at: "2026-11-23T04:15:00.000Z",
  grant: null,
  outcome: null,
};

export const REQUEST_PENDING = PENDING;

export const REQUEST_APPROVED = {
  ...PENDING,
  status: "approved" as const,
  approvals: [
    { reviewer: "bob@example.com", reason: "Matches ticket #4521", at: "2026-11-23T04:01:10.000Z" },
    { reviewer: "carol@example.com", reason: null, at: "2026-11-23T04:02:00.000Z" },
  ],
  decision: { status: "approved" as const, by: `user:${IDS.secondUser}`, reason: null, at: "2026-11-23T04:02:00.000Z" },
  grant: { id: IDS.grant, token: GRANT_TOKEN, expires_at: "2026-11-23T04:07:00.000Z", redeemed_at: null },
};

const AMENDED_PARAMS = { ...PARAMS, amount: 450 };

/** Approved after a reviewer amended the amount: the grant binds the amended params. */
export const REQUEST_APPROVED_AMENDED = {
  ...PENDING,
  params: AMENDED_PARAMS,
  params_sha256: canonicalSha256(AMENDED_PARAMS),
  original_params: PARAMS,
  original_params_sha256: canonicalSha256(PARAMS),
  amended_by: "bob@example.com",
  status: "approved" as const,
  policy: { ...PENDING.policy, approvals_required: 1 },
  approvals: [{ reviewer: "bob@example.com", reason: "The duplicate charge was 450, not 500", at: "2026-11-23T04:01:10.000Z" }],
  decision: { status: "approved" as const, by: `user:${IDS.user}`, reason: "The duplicate charge was 450, not 500", at: "2026-11-23T04:01:10.000Z" },
  grant: { id: IDS.grant, expires_at: "2026-11-23T04:06:10.000Z", redeemed_at: null },
};

export const REQUEST_ALLOWED_BY_POLICY = {
  ...PENDING,
  params: { amount: 40, currency: "USD" },
  params_sha256: canonicalSha256({ amount: 40, currency: "USD" }),
  summary: "Refund $40 to customer cus_123",
  status: "approved" as const,
  policy: { id: IDS.rule, name: "small-refunds", version: 1, effect: "allow" as const, approvals_required: 1 },
  decision: { status: "approved" as const, by: `policy:${IDS.rule}`, reason: "allowed by policy", at: CREATED },
  grant: { id: IDS.grant, token: GRANT_TOKEN, expires_at: "2026-11-23T04:02:00.000Z", redeemed_at: null },
};

export const REQUEST_DENIED_BY_POLICY = {
  ...PENDING,
  action: "db.drop_database",
  resource: "db:analytics-staging",
  params: {},
  params_sha256: canonicalSha256({}),
  summary: CREATE_REQUEST_MINIMAL.summary,
  justification: null,
  context: {},
  status: "denied" as const,
  policy: { id: IDS.rule, name: "never-drop-databases", version: 1, effect: "deny" as const, approvals_required: 1 },
  decision: { status: "denied" as const, by: `policy:${IDS.rule}`, reason: "Dropping databases is never automated", at: CREATED },
};

export const REQUEST_CANCELLED = {
  ...PENDING,
  status: "cancelled" as const,
  decision: { status: "cancelled" as const, by: "agent", reason: "cancelled by the agent", at: "2026-11-23T04:03:00.000Z" },
};

export const REQUEST_WITH_OUTCOME = {
  ...REQUEST_APPROVED,
  grant: { id: IDS.grant, expires_at: "2026-11-23T04:07:00.000Z", redeemed_at: "2026-11-23T04:02:05.000Z" },
  outcome: { status: "succeeded" as const, detail: "Refund re_3Qx8 created", at: "2026-11-23T04:02:07.000Z" },
};

export const REDEEM = { token: GRANT_TOKEN, action: "payments.refund", params: PARAMS };

export const REDEEMED = {
  grant_id: IDS.grant,
  request_id: IDS.request,
  agent_id: IDS.agent,
  action: "payments.refund",
  resource: "customer:cus_123",
  params: PARAMS,
  redeemed_at: "2026-11-23T04:02:05.000Z",
};

export const JWKS = {
  keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "k_7pQ2mX4vL9aB", alg: "EdDSA", use: "sig" }],
};

export const REVIEW_ITEM = {
  ...PENDING,
  approvals: [{ reviewer: "bob@example.com", reason: "Matches ticket #4521", at: "2026-11-23T04:01:10.000Z" }],
  agent: {
    id: IDS.agent,
    name: "billing-agent",
    description: "Handles refunds and credits for the support team",
    owner: "dana@example.com",
    trust_level: "standard",
    tags: ["finance"],
  },
  votes: [{ reviewer: "bob@example.com", decision: "approve" as const, reason: "Matches ticket #4521", at: "2026-11-23T04:01:10.000Z", counts: true }],
  reviewers_may_edit: [] as string[],
  reason_required_to_approve: false,
  decided_by: null,
  can_decide: true,
  cannot_decide_reason: null,
  risk: {
    score: 35,
    flags: [
      {
        code: "new_on_behalf_of" as const,
        severity: "medium" as const,
        explanation: "First time billing-agent acts on behalf of alice@example.com: no earlier approved request was for them",
      },
      { code: "low_confidence" as const, severity: "low" as const, explanation: "The agent states a confidence of 0.42 (below 0.5)" },
    ],
  },
  condition_errors: [] as { rule_id: string; rule_name: string; rule_version: number; error: string; treated_as: "match" | "no_match" }[],
  shadow_matches: [{ rule: "auto-refunds-under-1000", rule_id: "pol_01k9w3c8e4g2j6k9m3n5p7q1rs", version: 1, effect: "allow" as const }],
};

export const AGENT = {
  id: IDS.agent,
  name: "billing-agent",
  description: "Handles refunds and credits for the support team",
  owner: "dana@example.com",
  trust_level: "standard",
  tags: ["finance"],
  status: "active" as const,
  created_at: "2026-11-01T09:30:00.000Z",
  last_seen_at: "2026-11-23T04:00:00.000Z",
  live_keys: 1,
  requests: { pending: 1, total: 214 },
};

export const KEY = {
  id: IDS.key,
  created_at: "2026-11-01T09:30:00.000Z",
  expires_at: "2027-11-01T09:30:00.000Z",
  last_used_at: "2026-11-23T04:00:00.000Z",
  revoked_at: null,
  live: true,
};

export const USER = {
  id: IDS.user,
  email: "bob@example.com",
  name: "Bob Reviewer",
  role: "reviewer" as const,
  disabled: false,
  local_account: true,
  groups: ["finance"],
  created_at: "2026-10-15T08:00:00.000Z",
  last_sign_in_at: "2026-11-23T03:55:00.000Z",
};

export const ONE_TIME_PASSWORD = "DCq1qsAsTzp1GWZNKgty";

export const GROUP = {
  id: IDS.group,
  name: "finance",
  created_at: "2026-10-15T08:00:00.000Z",
  members: [
    { id: IDS.user, email: "bob@example.com", name: "Bob Reviewer", role: "reviewer", disabled: false },
    { id: IDS.secondUser, email: "carol@example.com", name: null, role: "admin", disabled: false },
  ],
};

export const ADMIN_TOKEN_INFO = {
  id: IDS.adminToken,
  name: "policy-ci",
  scopes: ["policies:write"],
  created_by: `user:${IDS.secondUser}`,
  created_at: "2026-11-02T10:00:00.000Z",
  last_used_at: "2026-11-22T17:45:00.000Z",
  revoked_at: null,
};

export const RULE_DEFINITION = {
  name: "large-payments",
  description: "Large payments, or any payment in production, need two people from finance",
  enabled: true,
  actions: ["payments.*"],
  agents: { names: ["billing-agent"], tags: ["finance"] },
  condition: "params.amount > 1000 || context.environment.name == 'production'",
  effect: "require_approval" as const,
  reviewers: { groups: ["finance"] },
  approvals_required: 2,
  reason_required_to_approve: true,
  owner_may_decide: false,
  wait_seconds: 3600,
  grant_ttl_seconds: 300,
};

export const SMALL_REFUNDS = {
  name: "small-refunds",
  description: "Refunds up to 100 are routine",
  enabled: true,
  actions: ["payments.refund"],
  condition: "params.amount <= 100",
  effect: "allow" as const,
  grant_ttl_seconds: 120,
  audience: "payments-service",
};

export const NEVER_DROP = {
  name: "never-drop-databases",
  enabled: true,
  actions: ["db.drop_database"],
  effect: "deny" as const,
  reason: "Dropping databases is never automated",
};

export const POLICY_DEFAULTS = { effect: "require_approval" as const, approvals_required: 1, wait_seconds: 900, grant_ttl_seconds: 300 };

export const POLICY_DOCUMENT = { version: 1 as const, default: POLICY_DEFAULTS, rules: [SMALL_REFUNDS, RULE_DEFINITION, NEVER_DROP] };

/** The same document as YAML, as `countersign policies export` writes it. */
export const POLICY_DOCUMENT_YAML = `version: 1
default:
  effect: require_approval
  approvals_required: 1
  wait_seconds: 900
  grant_ttl_seconds: 300
rules:
  - name: small-refunds
    description: Refunds up to 100 are routine
    enabled: true
    actions: ["payments.refund"]
    condition: "params.amount <= 100"
    effect: allow
    grant_ttl_seconds: 120
    audience: payments-service
  - name: large-payments
    description: Large payments, or any payment in production, need two people from finance
    enabled: true
    actions: ["payments.*"]
    agents: { names: ["billing-agent"], tags: ["finance"] }
    condition: "params.amount > 1000 || context.environment.name == 'production'"
    effect: require_approval
    reviewers: { groups: ["finance"] }
    approvals_required: 2
    reason_required_to_approve: true
    owner_may_decide: false
    wait_seconds: 3600
    grant_ttl_seconds: 300
  - name: never-drop-databases
    enabled: true
    actions: ["db.drop_database"]
    effect: deny
    reason: Dropping databases is never automated
`;

export const RULE = {
  id: IDS.rule,
  name: "large-payments",
  position: 1,
  enabled: true,
  version: 3,
  definition: RULE_DEFINITION,
  updated_at: "2026-11-20T15:12:00.000Z",
  updated_by: "carol@example.com",
  shadow_hits: null,
};

export const RULE_VERSION = {
  version: 3,
  definition: (({ enabled: _enabled, ...rest }) => rest)(RULE_DEFINITION),
  created_by: "carol@example.com",
  created_at: "2026-11-20T15:12:00.000Z",
};

export const SIMULATION = {
  data: [
    {
      source: "sample",
      action: "payments.refund",
      agent_name: "billing-agent",
      current: {
        rule_id: "pol_builtin_default",
        rule_name: "Built-in: one approval by any reviewer",
        effect: "require_approval" as const,
        reason: null,
        approvals_required: 1,
        reviewer_groups: [],
        reason_required_to_approve: false,
        owner_may_decide: false,
        reviewers_may_edit: [],
        wait_seconds: 900,
        grant_ttl_seconds: 300,
        audience: "countersign",
        condition_errors: [],
      },
      with_draft: {
        rule_id: "pol_draft",
        rule_name: "small-refunds",
        effect: "allow" as const,
        reason: null,
        approvals_required: 1,
        reviewer_groups: [],
        reason_required_to_approve: false,
        owner_may_decide: false,
        reviewers_may_edit: [],
        wait_seconds: 900,
        grant_ttl_seconds: 120,
        audience: "payments-service",
        condition_errors: [],
      },
      draft_matches: true,
      effect_changed: true,
      handling_changed: true,
      changes: ["effect" as const],
      draft_condition_error: null,
    },
  ],
};

export const METRICS_TEXT = `# HELP countersign_requests_created_total Action requests created, by the effect of the rule that matched
# TYPE countersign_requests_created_total counter
countersign_requests_created_total{effect="require_approval"} 214
countersign_requests_created_total{effect="allow"} 1280
# HELP countersign_policy_condition_errors_total Rule conditions that errored while a request was evaluated (each then treated as a match, or for allow rules as no match), by rule name
# TYPE countersign_policy_condition_errors_total counter
countersign_policy_condition_errors_total{rule="large-refunds"} 3
# HELP countersign_waiting_agents Agents long-waiting on this instance
# TYPE countersign_waiting_agents gauge
countersign_waiting_agents 3
# HELP countersign_calls_in_flight Agent and executor calls being worked on by this instance (held long-waits not counted)
# TYPE countersign_calls_in_flight gauge
countersign_calls_in_flight 12
# HELP countersign_calls_shed_total Calls answered 429 or 503 with Retry-After by the overload limits, by the limit reached (agent, process, event_loop, waits)
# TYPE countersign_calls_shed_total counter
countersign_calls_shed_total{limit="process"} 41
`;

export const STREAM_TEXT = `retry: 2000
event: ready
data: {}

event: request
data: {"id":"${IDS.request}","status":"pending"}

event: request
data: {"id":"${IDS.request}","status":"approved"}

event: resync
data: {}

`;
