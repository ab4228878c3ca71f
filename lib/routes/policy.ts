import "server-only";
import { AppError } from "../errors.ts";
import { json, readBody, readJson, readText } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import {
  ADMIN_FORBIDDEN,
  ADMIN_UNAUTHENTICATED,
  body,
  type ErrorCase,
  errors,
  invalid,
  jsonContent,
  pathParams,
  roleForbidden,
  TOO_LARGE,
  UNAVAILABLE,
} from "../openapi/components.ts";
import * as ex from "../openapi/examples.ts";
import { exportPolicyDocument, importPolicyDocument, serializePolicyDocument } from "../policy/policy-as-code.ts";
import { ActionSeverityList, PolicyDefaults, PolicyDocument, PolicyRuleDefinition } from "../policy/policy-document.ts";
import { getActionSeverities, setActionSeverities } from "../settings/action-severity.ts";
import { ruleObject, ruleObjects, versionObjects } from "../policy/rule-json.ts";
import { proposeRuleForRequest } from "../policy/propose-rule-for-request.ts";
import {
  createRule,
  deleteRule,
  getPolicyDefaults,
  getRuleHistory,
  moveRule,
  promoteRule,
  setPolicyDefault,
  setRuleEnabled,
  updateRule,
} from "../policy/rules.ts";
import { simulateRule } from "../policy/simulate.ts";
import {
  ImportResult,
  MoveBody,
  PositionQuery,
  ProposedRuleObject,
  RuleHistory,
  RuleList,
  RuleObject,
  RuleOrder,
  SimulateBody,
  SimulationResult,
} from "../schemas/policy.ts";
import { z } from "../schemas/zod.ts";

/*
 * The policy: the whole document (policy as code) and single rules. Reads
 * take an admin's or auditor's session, writes an admin's; either also an
 * admin API token with `policies:read` (simulation too, which changes
 * nothing) or `policies:write`, so CI can apply the policy file. Rule definitions and the
 * default are read as plain JSON and validated by lib/policy (its errors name
 * the rule), so those routes read their bodies themselves.
 */

const tags = ["Policy"];
const ruleId = pathParams({ id: { description: "The rule's id (`pol_…`).", example: ex.IDS.rule } });
const READERS = { admin: ["admin", "auditor"], scope: "policies:read" } as const;
const ADMINS = { admin: ["admin"], scope: "policies:write" } as const;
/** Reads for tokens that stay an admin's in the console: the whole policy document, and simulation (which changes nothing). */
const ADMIN_READS = { admin: ["admin"], scope: "policies:read" } as const;
const RULE_NOT_FOUND: ErrorCase = { code: "not_found", when: "No such rule (or it was deleted).", detail: "no such rule" };
const READ_ERRORS = [ADMIN_UNAUTHENTICATED, roleForbidden("admins and auditors", false)];
const WRITE_ERRORS = [ADMIN_UNAUTHENTICATED, ADMIN_FORBIDDEN];
const INVALID_RULE = invalid(
  "The definition breaks the schema, or its `condition` does not compile (CEL over `action`, `resource`, `params`, `context`, `agent`, `now` and `risk`: `risk.flags`, a list of flag codes, and `risk.score`, 0 to 100).",
  [{ path: "condition", message: "rule large-payments: found > but expecting end of input at column 15" }],
);
const DUPLICATE_NAME: ErrorCase = { code: "conflict", when: "Another rule has this name.", detail: "a rule named large-payments already exists" };

/** The simulation body as documented: `rule` is validated as a rule definition (errors under `rule.`). */
const SimulateBodyDocumented = SimulateBody.extend({ rule: PolicyRuleDefinition }).openapi("SimulateRule");

const exportPolicyRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/policies",
  access: ADMIN_READS,
  docs: {
    operationId: "exportPolicy",
    summary: "Export the policy document",
    description:
      "The whole policy as one document: the default and every rule in evaluation order (disabled ones with `enabled: false`). YAML with `Accept: application/yaml`, JSON otherwise. The same document `countersign policies export` writes; keep it in version control and apply it with the import below.",
    tags,
    responses: {
      200: {
        description: "The policy document.",
        content: {
          "application/json": { schema: PolicyDocument, examples: { policy: { value: ex.POLICY_DOCUMENT } } },
          "application/yaml": { schema: PolicyDocument, examples: { policy: { value: ex.POLICY_DOCUMENT_YAML } } },
        },
      },
      ...errors(...WRITE_ERRORS, UNAVAILABLE),
    },
  },
  async handler({ req }) {
    const document = await exportPolicyDocument();
    const yaml = /\b(application|text)\/(x-)?yaml\b/.test(req.headers.get("accept") ?? "");
    return new Response(serializePolicyDocument(document, yaml ? "yaml" : "json"), {
      headers: { "content-type": yaml ? "application/yaml; charset=utf-8" : "application/json", "cache-control": "no-store" },
    });
  },
});

const importPolicyRoute = defineRoute({
  method: "PUT",
  path: "/api/v1/admin/policies",
  access: ADMINS,
  query: z.object({ dry_run: z.enum(["true", "false"]).optional().openapi({ description: "`true`: report, change nothing." }) }),
  docs: {
    operationId: "importPolicy",
    summary: "Import the policy document",
    description: `Replaces the whole rule set with the document (YAML or JSON), all or nothing: a document with any error changes nothing, and the errors name the rule and field. Rules are matched by \`name\`: new ones are added, changed ones get a new version, and rules absent from the document are removed (list disabled rules with \`enabled: false\`). Order is file order.

\`?dry_run=true\` reports what would change and changes nothing: run it in CI on pull requests, and the real import on merge.`,
    tags,
    request: {
      body: {
        required: true,
        content: {
          "application/yaml": { schema: PolicyDocument, examples: { policy: { value: ex.POLICY_DOCUMENT_YAML } } },
          "application/json": { schema: PolicyDocument, examples: { policy: { value: ex.POLICY_DOCUMENT } } },
        },
      },
    },
    responses: {
      200: {
        description: "What changed (or, with `dry_run`, would change), by rule name.",
        content: jsonContent(ImportResult, {
          applied: {
            value: {
              dry_run: false,
              added: ["never-drop-databases"],
              changed: ["large-payments"],
              removed: ["old-refund-limit"],
              unchanged: ["small-refunds"],
              default_changed: false,
            },
          },
        }),
      },
      ...errors(
        ...WRITE_ERRORS,
        TOO_LARGE,
        invalid(
          "The document is not valid YAML or JSON, breaks the schema, repeats a rule name, or has a condition that does not compile; nothing was changed.",
          [{ path: "rules.1.condition", message: "rule large-payments: found > but expecting end of input at column 15" }],
        ),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ req, admin, query }) {
    const text = await readText(req);
    const r = await importPolicyDocument({ text, dryRun: query.dry_run === "true", actor: admin.actor });
    return Response.json(
      { dry_run: r.dryRun, added: r.added, changed: r.changed, removed: r.removed, unchanged: r.unchanged, default_changed: r.defaultChanged },
      { headers: { "cache-control": "no-store" } },
    );
  },
});

const getPolicyDefaultRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/policies/default",
  access: READERS,
  docs: {
    operationId: "getPolicyDefault",
    summary: "Get the default",
    description: "What applies when no rule matches. Always `require_approval`: the engine fails closed.",
    tags,
    responses: {
      200: { description: "The default.", content: jsonContent(PolicyDefaults, { default: { value: ex.POLICY_DEFAULTS } }) },
      ...errors(...READ_ERRORS, UNAVAILABLE),
    },
  },
  async handler() {
    return json(await getPolicyDefaults());
  },
});

const setPolicyDefaultRoute = defineRoute({
  method: "PUT",
  path: "/api/v1/admin/policies/default",
  access: ADMINS,
  docs: {
    operationId: "setPolicyDefault",
    summary: "Set the default",
    description: "How many approvals, how long to wait and how long grants live when no rule matches. The effect stays `require_approval`.",
    tags,
    request: { body: body(PolicyDefaults, { stricter: { value: { ...ex.POLICY_DEFAULTS, approvals_required: 2, wait_seconds: 3600 } } }) },
    responses: {
      200: {
        description: "The default now in force.",
        content: jsonContent(PolicyDefaults, { saved: { value: { ...ex.POLICY_DEFAULTS, approvals_required: 2, wait_seconds: 3600 } } }),
      },
      ...errors(
        ...WRITE_ERRORS,
        TOO_LARGE,
        invalid("A value is out of range.", [{ path: "default.approvals_required", message: "Too big: expected number to be <=10" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ req, admin }) {
    return json(await setPolicyDefault({ defaults: await readJson(req), actor: admin.actor }));
  },
});

const ActionSeverityBody = z.strictObject({ action_severity: ActionSeverityList }).openapi("ActionSeverities", {
  description:
    "What is at stake per action pattern. A request's risk score is at least its action's floor (critical 90, high 70, medium 40, low 10); when several patterns match, the most severe wins.",
});
const SEVERITY_EXAMPLE = {
  action_severity: [
    { pattern: "db.drop_*", severity: "critical" },
    { pattern: "payments.*", severity: "high" },
  ],
};

const getActionSeverityRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/policies/action-severity",
  access: READERS,
  docs: {
    operationId: "getActionSeverity",
    summary: "Get action severities",
    description:
      "What is at stake per action pattern, as admins set it. A request's risk score is at least its action's floor (critical 90, high 70, medium 40, low 10), with a `sensitive_action` flag that says why. Also the `action_severity` list of the policy file.",
    tags,
    responses: {
      200: { description: "The list (empty when none is set).", content: jsonContent(ActionSeverityBody, { severities: { value: SEVERITY_EXAMPLE } }) },
      ...errors(...READ_ERRORS, UNAVAILABLE),
    },
  },
  async handler() {
    return json({ action_severity: await getActionSeverities() });
  },
});

const setActionSeverityRoute = defineRoute({
  method: "PUT",
  path: "/api/v1/admin/policies/action-severity",
  access: ADMINS,
  body: ActionSeverityBody,
  docs: {
    operationId: "setActionSeverity",
    summary: "Set action severities",
    description:
      "Replaces the whole list. Applies to requests created from now on (a request's risk is computed once, when it is created). Recorded in the audit log as `settings.action_severity_changed`.",
    tags,
    request: { bodyExamples: { severities: { value: SEVERITY_EXAMPLE } } },
    responses: {
      200: { description: "The list now in force.", content: jsonContent(ActionSeverityBody, { saved: { value: SEVERITY_EXAMPLE } }) },
      ...errors(
        ...WRITE_ERRORS,
        TOO_LARGE,
        invalid("A pattern or severity is not acceptable, or a pattern is listed twice.", [
          { path: "action_severity.0.severity", message: 'Invalid option: expected one of "low"|"medium"|"high"|"critical"' },
        ]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ body, admin }) {
    return json({ action_severity: await setActionSeverities({ rules: body.action_severity, actor: admin.actor }) });
  },
});

const listRulesRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/policies/rules",
  access: READERS,
  docs: {
    operationId: "listRules",
    summary: "List rules",
    description:
      "Every rule in evaluation order (the first that matches decides), with who saved its current version, and the default that applies when none matches.",
    tags,
    responses: {
      200: {
        description: "The rules and the default.",
        content: jsonContent(RuleList, { rules: { value: { data: [ex.RULE], default: ex.POLICY_DEFAULTS } } }),
      },
      ...errors(...READ_ERRORS, UNAVAILABLE),
    },
  },
  async handler() {
    const [rules, defaults] = await Promise.all([ruleObjects(), getPolicyDefaults()]);
    return json({ data: rules, default: defaults });
  },
});

const createRuleRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/policies/rules",
  access: ADMINS,
  query: PositionQuery,
  docs: {
    operationId: "createRule",
    summary: "Add a rule",
    description:
      "Adds a rule (a definition as in the policy file), last unless `?position=N` places it. It applies to the very next request, on every instance.",
    tags,
    request: {
      body: body(PolicyRuleDefinition, {
        approval: { summary: "Two approvals from finance", value: ex.RULE_DEFINITION },
        allow: { summary: "Allow small refunds", value: ex.SMALL_REFUNDS },
        deny: { summary: "Never allow", value: ex.NEVER_DROP },
      }),
    },
    responses: {
      201: { description: "The new rule.", content: jsonContent(RuleObject, { created: { value: ex.RULE } }) },
      ...errors(...WRITE_ERRORS, DUPLICATE_NAME, TOO_LARGE, INVALID_RULE, UNAVAILABLE),
    },
  },
  async handler({ req, admin, query }) {
    const { ruleId } = await createRule({ definition: await readJson(req), position: query.position, actor: admin.actor });
    return json(await ruleObject(ruleId), { status: 201 });
  },
});

const getRuleRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/policies/rules/{id}",
  access: READERS,
  docs: {
    operationId: "getRule",
    summary: "Get a rule",
    tags,
    description: "One rule with its current definition.",
    request: { params: ruleId },
    responses: {
      200: { description: "The rule.", content: jsonContent(RuleObject, { rule: { value: ex.RULE } }) },
      ...errors(...READ_ERRORS, RULE_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ params }) {
    return json(await ruleObject(params.id));
  },
});

const updateRuleRoute = defineRoute({
  method: "PUT",
  path: "/api/v1/admin/policies/rules/{id}",
  access: ADMINS,
  docs: {
    operationId: "updateRule",
    summary: "Edit a rule",
    description:
      "Saves a new version; the body is the whole definition. Requests already decided keep pointing at the version that decided them. An unchanged definition keeps the version.",
    tags,
    request: { params: ruleId, body: body(PolicyRuleDefinition, { edit: { value: { ...ex.RULE_DEFINITION, approvals_required: 3 } } }) },
    responses: {
      200: {
        description: "The rule after the edit.",
        content: jsonContent(RuleObject, { saved: { value: { ...ex.RULE, version: 4, definition: { ...ex.RULE_DEFINITION, approvals_required: 3 } } } }),
      },
      ...errors(...WRITE_ERRORS, RULE_NOT_FOUND, DUPLICATE_NAME, TOO_LARGE, INVALID_RULE, UNAVAILABLE),
    },
  },
  async handler({ req, admin, params }) {
    await updateRule({ ruleId: params.id, definition: await readJson(req), actor: admin.actor });
    return json(await ruleObject(params.id));
  },
});

const deleteRuleRoute = defineRoute({
  method: "DELETE",
  path: "/api/v1/admin/policies/rules/{id}",
  access: ADMINS,
  docs: {
    operationId: "deleteRule",
    summary: "Delete a rule",
    description: "Takes the rule out of evaluation. Its versions stay, since decided requests point at them.",
    tags,
    request: { params: ruleId },
    responses: { 204: { description: "Deleted." }, ...errors(...WRITE_ERRORS, RULE_NOT_FOUND, UNAVAILABLE) },
  },
  async handler({ admin, params }) {
    await deleteRule({ ruleId: params.id, actor: admin.actor });
    return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
  },
});

const enableRuleRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/policies/rules/{id}/enable",
  access: ADMINS,
  docs: {
    operationId: "enableRule",
    summary: "Enable a rule",
    description: "Puts a disabled rule back into evaluation. No new version: the switch is not part of the definition.",
    tags,
    request: { params: ruleId },
    responses: {
      200: {
        description: "The rule.",
        content: jsonContent(RuleObject, { rule: { value: { ...ex.RULE, enabled: true, definition: { ...ex.RULE_DEFINITION, enabled: true } } } }),
      },
      ...errors(...WRITE_ERRORS, RULE_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ admin, params }) {
    await setRuleEnabled({ ruleId: params.id, enabled: true, actor: admin.actor });
    return json(await ruleObject(params.id));
  },
});

const disableRuleRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/policies/rules/{id}/disable",
  access: ADMINS,
  docs: {
    operationId: "disableRule",
    summary: "Disable a rule",
    description: "Keeps the rule but skips it in evaluation. No new version: the switch is not part of the definition.",
    tags,
    request: { params: ruleId },
    responses: {
      200: {
        description: "The rule.",
        content: jsonContent(RuleObject, { rule: { value: { ...ex.RULE, enabled: false, definition: { ...ex.RULE_DEFINITION, enabled: false } } } }),
      },
      ...errors(...WRITE_ERRORS, RULE_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ admin, params }) {
    await setRuleEnabled({ ruleId: params.id, enabled: false, actor: admin.actor });
    return json(await ruleObject(params.id));
  },
});

const getRuleHistoryRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/policies/rules/{id}/history",
  access: READERS,
  docs: {
    operationId: "getRuleHistory",
    summary: "A rule's versions",
    description: "Every version of the rule, newest first: who saved it, when, and its definition.",
    tags,
    request: { params: ruleId },
    responses: {
      200: { description: "The versions.", content: jsonContent(RuleHistory, { history: { value: { data: [ex.RULE_VERSION] } } }) },
      ...errors(...READ_ERRORS, RULE_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ params }) {
    return json({ data: await versionObjects(await getRuleHistory({ ruleId: params.id })) });
  },
});

const moveRuleRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/policies/rules/{id}/move",
  access: ADMINS,
  body: MoveBody,
  docs: {
    operationId: "moveRule",
    summary: "Move a rule",
    description:
      "Moves a rule one place up or down, or to a 0-based position. Order matters: the first rule that matches decides. Answers every rule in the new order.",
    tags,
    request: { params: ruleId, bodyExamples: { up: { value: { direction: "up" } }, to_top: { value: { position: 0 } } } },
    responses: {
      200: { description: "All rules, in the new order.", content: jsonContent(RuleOrder, { order: { value: { data: [{ ...ex.RULE, position: 0 }] } } }) },
      ...errors(...WRITE_ERRORS, RULE_NOT_FOUND, TOO_LARGE, invalid("The body is neither a direction nor a position."), UNAVAILABLE),
    },
  },
  async handler({ admin, params, body }) {
    const position = "position" in body ? body.position : (await ruleObject(params.id)).position + (body.direction === "up" ? -1 : 1);
    if (position >= 0) await moveRule({ ruleId: params.id, position, actor: admin.actor });
    return json({ data: await ruleObjects() });
  },
});

const promoteRuleRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/policies/rules/{id}/promote",
  access: ADMINS,
  docs: {
    operationId: "promoteRule",
    summary: "Promote a shadow rule to enforce",
    description:
      "Turns a shadow rule (`mode: shadow`, tried on every request without effect) into an enforced one: a new version with `mode: enforce` and its `policy.rule_promoted` audit event, in one step. It decides from the very next request. Of concurrent promotions exactly one succeeds.",
    tags,
    request: { params: ruleId },
    responses: {
      200: {
        description: "The rule, now enforced.",
        content: jsonContent(RuleObject, { promoted: { value: { ...ex.RULE, version: 4, definition: { ...ex.RULE_DEFINITION, mode: "enforce" } } } }),
      },
      ...errors(
        ...WRITE_ERRORS,
        RULE_NOT_FOUND,
        { code: "conflict", when: "The rule is already enforced.", detail: "rule large-payments is already enforced" },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, params }) {
    await promoteRule({ ruleId: params.id, actor: admin.actor });
    return json(await ruleObject(params.id));
  },
});

const proposeRuleRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/requests/{id}/proposed-rule",
  access: ADMIN_READS,
  docs: {
    operationId: "proposeRule",
    summary: "Propose a rule from a decided request",
    description:
      "Approve and remember, narrowly: a rule for this request's agent and exact action, `allow` for an approval and `deny` for a denial by people, whose condition bounds the params of this and the agent's last 20 such decisions (numbers by range, strings and booleans by the values seen, and for an allow no params beyond those). Never a blanket allow: when nothing bounds the params, 409. In `mode: shadow`; simulate it (`POST /api/v1/admin/policies/simulate`), create it, watch its hits, then promote it. Changes nothing.",
    tags,
    request: { params: pathParams({ id: { description: "The decided request's id (`req_…`).", example: ex.IDS.request } }) },
    responses: {
      200: {
        description: "The proposed rule (not saved).",
        content: jsonContent(ProposedRuleObject, {
          proposal: {
            value: {
              rule: {
                name: "allow-billing-agent-payments-refund",
                description: `Proposed from ${ex.IDS.request} (approved by a reviewer), bounding the params of 1 such decision.`,
                enabled: true,
                mode: "shadow",
                actions: ["payments.refund"],
                agents: { names: ["billing-agent"] },
                condition: 'params.all(k, k in ["amount", "currency"]) && (params.amount >= 0 && params.amount <= 500) && params.currency == "USD"',
                effect: "allow",
              },
              bounds: [
                { param: "amount", condition: "params.amount >= 0 && params.amount <= 500", seen: 1 },
                { param: "currency", condition: 'params.currency == "USD"', seen: 1 },
              ],
              unbounded: [],
              based_on: 1,
            },
          },
        }),
      },
      ...errors(
        ...WRITE_ERRORS,
        { code: "not_found", when: "No such request.", detail: "no such request" },
        {
          code: "conflict",
          when: "The request is not approved or denied by people, or nothing can bound its params for an allow.",
          detail: "this request has no params to bound, and a rule that allows every such request is not proposed",
        },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ params }) {
    return json(await proposeRuleForRequest(params.id));
  },
});

/** Reads its body itself: the router would document `rule` as the unknown it is parsed as, while the document names its real shape. */
const simulateRuleRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/policies/simulate",
  access: ADMIN_READS,
  docs: {
    operationId: "simulateRule",
    summary: "Simulate a draft rule",
    description:
      "Before saving a rule: which rule decides a sample request, and each of the last `last_n` real requests (up to 500), now and with the draft in place; what changes in how each is handled (`changes`: the effect, approvals, reviewer groups, reason and owner rules, wait, grant TTL, audience); and where the draft's condition errors (`draft_condition_error`; an error fails closed, so saving such a condition silently changes handling). History conditions (`history.count`, `history.sum`) read the agent's history as of each replayed request (to 5-minute precision: the buckets before the one it was made in) and as of now for the sample (the sample's `agent.id` names whose history; another id has none). A draft with the name of an existing rule replaces it. A draft with `mode: shadow` is simulated as if enforced (what promoting it would do); saved shadow rules never decide, so they change neither column. Changes nothing. The rows are camelCase, as the console uses them.",
    tags,
    request: {
      body: body(SimulateBodyDocumented, {
        sample: {
          summary: "A sample request and the last 100 real ones",
          value: {
            rule: ex.SMALL_REFUNDS,
            sample: { action: "payments.refund", params: { amount: 40, currency: "USD" }, agent: { name: "billing-agent", tags: ["finance"] } },
            last_n: 100,
          },
        },
      }),
    },
    responses: {
      200: { description: "One row per request tried.", content: jsonContent(SimulationResult, { result: { value: ex.SIMULATION } }) },
      ...errors(
        ...WRITE_ERRORS,
        TOO_LARGE,
        invalid("The body breaks the schema, or the draft is not a valid rule (errors under `rule.`).", [
          { path: "rule.condition", message: "rule small-refunds: found > but expecting end of input at column 15" },
        ]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ req }) {
    const b = await readBody(req, SimulateBody);
    const a = b.sample?.agent;
    try {
      const results = await simulateRule({
        draft: b.rule as PolicyRuleDefinition,
        position: b.position,
        sample: b.sample && {
          ...b.sample,
          agent: a && { id: a.id, name: a.name, tags: a.tags, trustLevel: a.trust_level, ownerEmail: a.owner },
        },
        lastN: b.last_n,
      });
      return json({ data: results });
    } catch (err) {
      if (err instanceof AppError && err.errors)
        throw new AppError(err.code, err.message, { errors: err.errors.map((e) => ({ ...e, path: `rule.${e.path}` })) });
      throw err;
    }
  },
});

export const policyRoutes = [
  promoteRuleRoute,
  proposeRuleRoute,
  exportPolicyRoute,
  importPolicyRoute,
  getPolicyDefaultRoute,
  setPolicyDefaultRoute,
  getActionSeverityRoute,
  setActionSeverityRoute,
  listRulesRoute,
  createRuleRoute,
  getRuleRoute,
  updateRuleRoute,
  deleteRuleRoute,
  enableRuleRoute,
  disableRuleRoute,
  getRuleHistoryRoute,
  moveRuleRoute,
  simulateRuleRoute,
];
