import "server-only";
import { ContainmentSettings } from "../containment/rules.ts";
import { readContainment, setContainment } from "../containment/settings.ts";
import { ContainmentView, toContainmentView } from "../containment/view.ts";
import { json } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import { ADMIN_FORBIDDEN, ADMIN_UNAUTHENTICATED, errors, invalid, jsonContent, TOO_LARGE, UNAVAILABLE } from "../openapi/components.ts";

/*
 * Automatic containment: the rules that suspend an agent by themselves (off
 * until an admin sets one). Admins and auditors read them, admins change them;
 * both also with an admin API token (`agents:read`, `agents:write`: they
 * pull the same kill switch as suspending an agent).
 */

const tags = ["Agents and keys"];
const rules = {
  request_rate: { max_requests: 100, window_seconds: 60 },
  denial_rate: { max_ratio: 0.5, min_decisions: 10, window_seconds: 3600 },
};
const saved = { enabled: true, ...rules, agents: { names: [], tags: ["experimental"] }, updated_at: "2026-11-25T13:00:00.000Z" };
const what =
  "When a rule is crossed, the agent is suspended exactly as by the kill switch (keys refused with 403 `agent_suspended`, pending requests cancelled, unredeemed grants revoked), by `system`, with a plain-language reason; its `agent.suspended` audit event (and webhook) carries that reason, and the event's data a `containment` object: `rule`, `observed`, `threshold`, `window_seconds`. The request rate is checked as each request is created; the denial rate (decisions by people and by policy) each time a request is denied. A resume starts both windows afresh. Suspended and retired agents are left alone.";

const getContainmentRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/containment",
  access: { admin: ["admin", "auditor"], scope: "agents:read" },
  docs: {
    operationId: "getContainment",
    summary: "Automatic containment rules",
    description: `The rules that suspend an agent automatically; both null (the default) means containment is off. ${what}`,
    tags,
    responses: {
      200: {
        description: "The rules.",
        content: jsonContent(ContainmentView, {
          off: { summary: "The default: off", value: { enabled: false, request_rate: null, denial_rate: null, agents: null, updated_at: null } },
          on: { value: saved },
        }),
      },
      ...errors(
        ADMIN_UNAUTHENTICATED,
        { code: "forbidden", when: "Signed in, but neither an admin nor an auditor.", detail: "only admins and auditors may do this" },
        UNAVAILABLE,
      ),
    },
  },
  async handler() {
    return json(toContainmentView(await readContainment()));
  },
});

const setContainmentRoute = defineRoute({
  method: "PUT",
  path: "/api/v1/admin/containment",
  access: { admin: ["admin"], scope: "agents:write" },
  body: ContainmentSettings,
  docs: {
    operationId: "setContainment",
    summary: "Set automatic containment rules",
    description: `Replaces the rules (both null turns containment off); \`agents\` limits them to agents with one of these names or tags (omitted or null: every agent). Saved with a \`settings.containment_changed\` audit event holding before and after; other app instances apply the change within 5 seconds. ${what}`,
    tags,
    request: {
      bodyExamples: {
        both: { summary: "Both rules, for agents tagged experimental", value: { ...rules, agents: { tags: ["experimental"] } } },
        rate: { summary: "Request rate only, every agent", value: { request_rate: rules.request_rate, denial_rate: null } },
        off: { summary: "Off", value: { request_rate: null, denial_rate: null } },
      },
    },
    responses: {
      200: { description: "The saved rules.", content: jsonContent(ContainmentView, { saved: { value: saved } }) },
      ...errors(
        ADMIN_UNAUTHENTICATED,
        ADMIN_FORBIDDEN,
        TOO_LARGE,
        invalid("The body breaks the schema: a missing rule key (give null to turn a rule off), a number out of range, or an unknown field.", [
          { path: "denial_rate.max_ratio", message: "Too big: expected number to be <1" },
        ]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, body }) {
    return json(toContainmentView(await setContainment({ settings: body, actor: admin.actor })));
  },
});

export const containmentRoutes = [getContainmentRoute, setContainmentRoute];
