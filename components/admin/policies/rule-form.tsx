"use client";

import { Notice } from "../../ui/notice";
import { Button, FormField, inputClass, selectClass } from "../ui";
import { formatSeconds } from "./durations";
import type { Effect, FieldError, RuleDefinition } from "./types";

/** The editor's fields as typed (lists as comma-separated text, numbers as text). */
export interface RuleFormValues {
  name: string;
  description: string;
  enabled: boolean;
  /** `mode: shadow`: tried on every request and recorded, never applied. */
  shadow: boolean;
  actions: string;
  agentNames: string;
  agentTags: string;
  condition: string;
  effect: Effect;
  reason: string;
  groups: string;
  approvals: string;
  reasonRequired: boolean;
  ownerMayDecide: boolean;
  reviewersMayEdit: string;
  /** `chat_approval: false`: decisions on the dashboard only (Slack links there). */
  dashboardOnly: boolean;
  waitSeconds: string;
  grantTtlSeconds: string;
  audience: string;
}

const list = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);
const join = (a: string[] | undefined) => (a ?? []).join(", ");

export function fromDefinition(d?: RuleDefinition): RuleFormValues {
  return {
    name: d?.name ?? "",
    description: d?.description ?? "",
    enabled: d?.enabled ?? true,
    shadow: d?.mode === "shadow",
    actions: join(d?.actions),
    agentNames: join(d?.agents?.names),
    agentTags: join(d?.agents?.tags),
    condition: d?.condition ?? "",
    effect: d?.effect ?? "require_approval",
    reason: d?.reason ?? "",
    groups: join(d?.reviewers?.groups),
    approvals: d?.approvals_required ? String(d.approvals_required) : "",
    reasonRequired: d?.reason_required_to_approve ?? false,
    ownerMayDecide: d?.owner_may_decide ?? false,
    reviewersMayEdit: join(d?.reviewers_may_edit),
    dashboardOnly: d?.chat_approval === false,
    waitSeconds: d?.wait_seconds ? String(d.wait_seconds) : "",
    grantTtlSeconds: d?.grant_ttl_seconds ? String(d.grant_ttl_seconds) : "",
    audience: d?.audience ?? "",
  };
}

const num = (s: string) => (s.trim() === "" ? undefined : Number(s));

/** The definition the API receives: empty fields left out, so the defaults apply. */
export function toDefinition(v: RuleFormValues): RuleDefinition {
  const names = list(v.agentNames);
  const tags = list(v.agentTags);
  const d: RuleDefinition = { name: v.name.trim(), enabled: v.enabled, actions: list(v.actions), effect: v.effect };
  if (v.shadow) d.mode = "shadow";
  if (v.description.trim()) d.description = v.description.trim();
  if (names.length || tags.length) d.agents = { ...(names.length ? { names } : {}), ...(tags.length ? { tags } : {}) };
  if (v.condition.trim()) d.condition = v.condition.trim();
  if (v.effect === "deny") {
    if (v.reason.trim()) d.reason = v.reason.trim();
    return d;
  }
  if (v.effect === "require_approval") {
    const groups = list(v.groups);
    if (groups.length) d.reviewers = { groups };
    d.approvals_required = num(v.approvals);
    if (v.reasonRequired) d.reason_required_to_approve = true;
    if (v.ownerMayDecide) d.owner_may_decide = true;
    const editable = list(v.reviewersMayEdit);
    if (editable.length) d.reviewers_may_edit = editable;
    if (v.dashboardOnly) d.chat_approval = false;
    d.wait_seconds = num(v.waitSeconds);
  }
  d.grant_ttl_seconds = num(v.grantTtlSeconds);
  if (v.audience.trim()) d.audience = v.audience.trim();
  return JSON.parse(JSON.stringify(d)) as RuleDefinition;
}

/** The message the server gave for a field (paths like `condition`, `actions.0`, `rule.condition`). */
function fieldError(errors: FieldError[] | null, field: string): string | null {
  const e = errors?.find((x) => {
    const p = x.path.replace(/^rule\./, "");
    return p === field || p.startsWith(`${field}.`);
  });
  return e ? e.message : null;
}

function Inline({ id, message }: { id: string; message: string | null }) {
  return message ? (
    <p id={id} className="mt-1 text-xs font-medium text-red-700" data-testid={id} role="alert">
      {message}
    </p>
  ) : null;
}

function Check({
  id,
  label,
  checked,
  disabled,
  onChange,
  hint,
}: {
  id: string;
  label: string;
  checked: boolean;
  disabled: boolean;
  onChange(v: boolean): void;
  hint?: string;
}) {
  return (
    <label htmlFor={id} className="flex items-start gap-2 text-sm text-zinc-800">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
        className="mt-0.5 size-4 rounded border-zinc-300 accent-zinc-900"
      />
      <span>
        {label}
        {hint ? <span className="block text-xs text-zinc-500">{hint}</span> : null}
      </span>
    </label>
  );
}

/**
 * A rule's definition. Controlled: the page keeps the values, so the
 * simulation runs on exactly what is on screen. Errors come from the server
 * (the condition's names the column).
 */
export function RuleForm({
  values,
  onChange,
  readOnly,
  busy,
  errors,
  error,
  submitLabel,
  onSubmit,
  onCancel,
  conditionRunError,
}: {
  values: RuleFormValues;
  onChange(v: RuleFormValues): void;
  readOnly: boolean;
  busy: boolean;
  errors: FieldError[] | null;
  error: string | null;
  submitLabel: string;
  onSubmit(): void;
  onCancel(): void;
  /** The condition checked but errored when last run over requests: how often, with the first error. */
  conditionRunError?: string | null;
}) {
  const set = <K extends keyof RuleFormValues>(k: K, value: RuleFormValues[K]) => onChange({ ...values, [k]: value });
  const text = (k: keyof RuleFormValues) => ({
    id: `rule-${k}`,
    value: values[k] as string,
    disabled: readOnly,
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => set(k, e.target.value as never),
  });
  const conditionError = fieldError(errors, "condition");
  const secondsHint = (s: string, fallback: string) => (s.trim() && Number(s) > 0 ? formatSeconds(Number(s)) : fallback);

  return (
    <form
      className="space-y-5"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField label="Name" htmlFor="rule-name" hint="a-z, 0-9, - and _; a rule's identity in the policy file">
          <input {...text("name")} className={inputClass} placeholder="large-refunds" autoComplete="off" maxLength={64} />
          <Inline id="error-name" message={fieldError(errors, "name")} />
        </FormField>
        <FormField label="Actions" htmlFor="rule-actions" hint="Comma-separated: payments.refund, payments.*, or *">
          <input {...text("actions")} className={`${inputClass} font-mono`} placeholder="payments.refund" autoComplete="off" />
          <Inline id="error-actions" message={fieldError(errors, "actions")} />
        </FormField>
      </div>
      <FormField label="Description" htmlFor="rule-description">
        <textarea {...text("description")} rows={2} maxLength={1000} className={inputClass} placeholder="Why this rule exists" />
      </FormField>
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField label="Agent names" htmlFor="rule-agentNames" hint="Optional; empty means every agent">
          <input {...text("agentNames")} className={inputClass} placeholder="billing-agent" autoComplete="off" />
          <Inline id="error-agents" message={fieldError(errors, "agents")} />
        </FormField>
        <FormField label="Agent tags" htmlFor="rule-agentTags" hint="Optional; an agent with any of them matches">
          <input {...text("agentTags")} className={inputClass} placeholder="finance" autoComplete="off" />
        </FormField>
      </div>
      <div>
        <label htmlFor="rule-condition" className="mb-1.5 block text-sm font-medium text-zinc-800">
          Condition <span className="font-normal text-zinc-500">(CEL, optional)</span>
        </label>
        <textarea
          {...text("condition")}
          rows={3}
          spellCheck={false}
          aria-invalid={conditionError ? true : undefined}
          aria-describedby={conditionError ? "error-condition" : "hint-condition"}
          className={`${inputClass} font-mono text-[13px] ${conditionError ? "border-red-400 focus:border-red-600 focus:ring-red-600/10" : ""}`}
          placeholder="params.amount > 1000"
        />
        {conditionError ? (
          <Inline id="error-condition" message={conditionError} />
        ) : (
          <p id="hint-condition" className="mt-1 text-xs text-zinc-500">
            Over <span className="font-mono">action, resource, params, context, agent.name / tags / trust_level / owner, now</span>, and the request&apos;s risk
            signals <span className="font-mono">risk.flags</span> (codes such as first_action, unusual_amount, rate_spike, hidden_characters) and{" "}
            <span className="font-mono">risk.score</span> (0–100), e.g. <span className="font-mono">risk.flags.size() == 0</span>. Checked when you save or
            simulate.
          </p>
        )}
        {conditionRunError && !conditionError ? (
          <p
            id="run-error-condition"
            data-testid="condition-run-error"
            role="alert"
            className="mt-1.5 break-words rounded-md border border-red-200 bg-red-50 px-2 py-1.5 text-xs text-red-800"
          >
            {conditionRunError}
          </p>
        ) : null}
      </div>

      <fieldset className="space-y-4 rounded-lg border border-zinc-200 p-4">
        <legend className="px-1 text-sm font-medium text-zinc-800">Effect</legend>
        <div className="flex flex-wrap items-center gap-4">
          <label htmlFor="rule-effect" className="sr-only">
            Effect
          </label>
          <select id="rule-effect" value={values.effect} disabled={readOnly} onChange={(e) => set("effect", e.target.value as Effect)} className={selectClass}>
            <option value="require_approval">Require approval</option>
            <option value="allow">Allow at once</option>
            <option value="deny">Deny</option>
          </select>
          <Check id="rule-enabled" label="Enabled" checked={values.enabled} disabled={readOnly} onChange={(v) => set("enabled", v)} />
          <Check
            id="rule-shadow"
            label="Shadow (record matches, change nothing)"
            checked={values.shadow}
            disabled={readOnly}
            onChange={(v) => set("shadow", v)}
          />
        </div>
        {values.effect === "deny" ? (
          <FormField label="Reason shown to the agent" htmlFor="rule-reason">
            <input {...text("reason")} className={inputClass} placeholder="Dropping databases is never automated" maxLength={1000} />
          </FormField>
        ) : null}
        {values.effect === "require_approval" ? (
          <>
            <div className="grid gap-4 sm:grid-cols-2">
              <FormField label="Reviewer groups" htmlFor="rule-groups" hint="Comma-separated; empty means any reviewer">
                <input {...text("groups")} className={inputClass} placeholder="finance" autoComplete="off" />
              </FormField>
              <FormField label="Approvals required" htmlFor="rule-approvals" hint="Distinct reviewers; the default when empty">
                <input {...text("approvals")} type="number" min={1} max={10} className={inputClass} placeholder="1" />
                <Inline id="error-approvals" message={fieldError(errors, "approvals_required")} />
              </FormField>
              <FormField
                label="Reviewers may edit"
                htmlFor="rule-reviewersMayEdit"
                hint="Comma-separated top-level params a reviewer may amend before approving; empty: none"
              >
                <input {...text("reviewersMayEdit")} className={`${inputClass} font-mono`} placeholder="amount, note" autoComplete="off" />
                <Inline id="error-reviewers-may-edit" message={fieldError(errors, "reviewers_may_edit")} />
              </FormField>
              <FormField label="Wait for a decision (seconds)" htmlFor="rule-waitSeconds" hint={secondsHint(values.waitSeconds, "The default when empty")}>
                <input {...text("waitSeconds")} type="number" min={1} className={inputClass} placeholder="900" />
                <Inline id="error-wait" message={fieldError(errors, "wait_seconds")} />
              </FormField>
            </div>
            <div className="grid gap-3 sm:grid-cols-2">
              <Check
                id="rule-reasonRequired"
                label="Reason required to approve"
                checked={values.reasonRequired}
                disabled={readOnly}
                onChange={(v) => set("reasonRequired", v)}
              />
              <Check
                id="rule-ownerMayDecide"
                label="Agent's owner may decide"
                hint="Off: the owner cannot approve their own agent's request"
                checked={values.ownerMayDecide}
                disabled={readOnly}
                onChange={(v) => set("ownerMayDecide", v)}
              />
              <Check
                id="rule-dashboardOnly"
                label="Decide on the dashboard only"
                hint="On: chat messages (Slack) link to the dashboard instead of offering Approve and Deny"
                checked={values.dashboardOnly}
                disabled={readOnly}
                onChange={(v) => set("dashboardOnly", v)}
              />
            </div>
          </>
        ) : null}
        {values.effect !== "deny" ? (
          <div className="grid gap-4 sm:grid-cols-2">
            <FormField label="Grant lifetime (seconds)" htmlFor="rule-grantTtlSeconds" hint={secondsHint(values.grantTtlSeconds, "The default when empty")}>
              <input {...text("grantTtlSeconds")} type="number" min={1} className={inputClass} placeholder="300" />
              <Inline id="error-ttl" message={fieldError(errors, "grant_ttl_seconds")} />
            </FormField>
            <FormField label="Grant audience" htmlFor="rule-audience" hint="The grant's aud; countersign when empty">
              <input {...text("audience")} className={inputClass} placeholder="payments-service" autoComplete="off" />
            </FormField>
          </div>
        ) : null}
      </fieldset>

      {error ? <Notice tone="error">{error}</Notice> : null}
      {readOnly ? null : (
        <div className="flex justify-end gap-2">
          <Button onClick={onCancel} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={busy}>
            {submitLabel}
          </Button>
        </div>
      )}
    </form>
  );
}
