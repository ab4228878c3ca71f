"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FieldError, RuleDefinition } from "@/components/admin/policies/types";
import type { PolicyDefaults } from "@/lib/policy/policy-document";
import type { ImportResult, ProposedRule, RuleHistory, RuleList, RuleObject, RuleOrder, SimulationResult } from "@/lib/schemas/policy";
import type { Problem } from "@/lib/schemas/requests";
import { ProblemError } from "../../_review/review-api";

/** A refusal that keeps the server's field errors, so the editor can show them beside the field. */
export class PolicyProblem extends ProblemError {
  constructor(
    status: number,
    code: string,
    detail: string,
    readonly errors: FieldError[],
  ) {
    super(status, code, detail);
  }
}

async function call<T>(url: string, init: { method?: string; json?: unknown; yaml?: string } = {}): Promise<T> {
  const contentType = init.json !== undefined ? "application/json" : init.yaml !== undefined ? "application/yaml" : null;
  const res = await fetch(url, {
    method: init.method ?? "GET",
    headers: { accept: "application/json", ...(contentType ? { "content-type": contentType } : {}) },
    body: init.json !== undefined ? JSON.stringify(init.json) : init.yaml,
    cache: "no-store",
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as Partial<Problem> | null;
    if (res.status === 401) window.location.assign("/signin");
    throw new PolicyProblem(res.status, body?.code ?? "error", body?.detail ?? `The server answered ${res.status}.`, body?.errors ?? []);
  }
  return (res.status === 204 ? null : await res.json()) as T;
}

export const policyKeys = {
  all: ["admin", "policies"] as const,
  rules: ["admin", "policies", "rules"] as const,
  rule: (id: string) => ["admin", "policies", "rules", id] as const,
  history: (id: string) => ["admin", "policies", "rules", id, "history"] as const,
};

const ruleUrl = (id: string) => `/api/v1/admin/policies/rules/${encodeURIComponent(id)}`;
const noRetryOn4xx = (count: number, err: Error) => !(err instanceof ProblemError && err.status < 500) && count < 2;

export const useRules = () => useQuery({ queryKey: policyKeys.rules, queryFn: () => call<RuleList>("/api/v1/admin/policies/rules") });
/** One rule; nothing is fetched while `id` is null (a new rule). */
export const useRule = (id: string | null) =>
  useQuery({ queryKey: policyKeys.rule(id ?? ""), queryFn: () => call<RuleObject>(ruleUrl(id!)), retry: noRetryOn4xx, enabled: id !== null });
export const useRuleHistory = (id: string | null) =>
  useQuery({ queryKey: policyKeys.history(id ?? ""), queryFn: () => call<RuleHistory>(`${ruleUrl(id!)}/history`), retry: noRetryOn4xx, enabled: id !== null });

/** A policy change; afterwards every policy view is re-read. */
function usePolicyMutation<V, R>(fn: (v: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: fn, onSettled: () => client.invalidateQueries({ queryKey: policyKeys.all }) });
}

export const useCreateRule = () =>
  usePolicyMutation((v: { definition: RuleDefinition; position?: number }) =>
    call<RuleObject>(`/api/v1/admin/policies/rules${v.position === undefined ? "" : `?position=${v.position}`}`, { method: "POST", json: v.definition }),
  );
export const useUpdateRule = (id: string) => usePolicyMutation((d: RuleDefinition) => call<RuleObject>(ruleUrl(id), { method: "PUT", json: d }));
export const useDeleteRule = (id: string) => usePolicyMutation(() => call<null>(ruleUrl(id), { method: "DELETE" }));
export const useSetEnabled = () =>
  usePolicyMutation((v: { id: string; enabled: boolean }) => call<RuleObject>(`${ruleUrl(v.id)}/${v.enabled ? "enable" : "disable"}`, { method: "POST" }));
/** Shadow to enforce, in one audited step. */
export const usePromoteRule = () => usePolicyMutation((v: { id: string }) => call<RuleObject>(`${ruleUrl(v.id)}/promote`, { method: "POST" }));
/** The rule proposed from a decided request (nothing fetched while `requestId` is null). */
export const useProposedRule = (requestId: string | null) =>
  useQuery({
    queryKey: ["admin", "proposed-rule", requestId ?? ""],
    queryFn: () => call<ProposedRule>(`/api/v1/admin/requests/${encodeURIComponent(requestId!)}/proposed-rule`),
    retry: noRetryOn4xx,
    enabled: requestId !== null,
    staleTime: Number.POSITIVE_INFINITY,
  });
export const useMoveRule = () =>
  usePolicyMutation((v: { id: string; direction: "up" | "down" }) =>
    call<RuleOrder>(`${ruleUrl(v.id)}/move`, { method: "POST", json: { direction: v.direction } }),
  );
export const useSetDefault = () => usePolicyMutation((d: PolicyDefaults) => call<PolicyDefaults>("/api/v1/admin/policies/default", { method: "PUT", json: d }));

export const useSimulate = () =>
  useMutation({
    mutationFn: (v: { rule: RuleDefinition; sample?: unknown; last_n?: number; position?: number }) =>
      call<SimulationResult>("/api/v1/admin/policies/simulate", { method: "POST", json: v }),
  });

/** A refusal as one line for a notice; field errors the editor shows inline are left to it. */
export function problemText(err: Error | null): string | null {
  if (!err) return null;
  if (err instanceof PolicyProblem && err.errors.length)
    return `${err.message.replace(/:.*$/, "")}: ${err.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`;
  return err.message;
}

/** Applies (or with `dryRun` only reports) a whole policy document, YAML or JSON. */
export const useImportPolicy = () =>
  usePolicyMutation((v: { text: string; dryRun: boolean }) =>
    call<ImportResult>(`/api/v1/admin/policies?dry_run=${v.dryRun}`, { method: "PUT", yaml: v.text }),
  );

/** Downloads the current policy document as YAML. */
export async function downloadPolicyYaml(): Promise<void> {
  const res = await fetch("/api/v1/admin/policies", { headers: { accept: "application/yaml" }, cache: "no-store" });
  if (!res.ok) throw new Error(`The server answered ${res.status}.`);
  const url = URL.createObjectURL(new Blob([await res.text()], { type: "application/yaml" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = "countersign-policy.yaml";
  a.click();
  URL.revokeObjectURL(url);
}

export interface ActionSeverityRule {
  pattern: string;
  severity: "low" | "medium" | "high" | "critical";
}
const SEVERITY_URL = "/api/v1/admin/policies/action-severity";
export const useActionSeverity = () =>
  useQuery({ queryKey: [...policyKeys.all, "action-severity"], queryFn: () => call<{ action_severity: ActionSeverityRule[] }>(SEVERITY_URL) });
export const useSetActionSeverity = () =>
  usePolicyMutation((rules: ActionSeverityRule[]) =>
    call<{ action_severity: ActionSeverityRule[] }>(SEVERITY_URL, { method: "PUT", json: { action_severity: rules } }),
  );
