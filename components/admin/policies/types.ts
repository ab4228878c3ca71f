/** The policy API's shapes, as the console's components receive them. */
export type Effect = "allow" | "deny" | "require_approval";

export interface RuleDefinition {
  name: string;
  description?: string;
  enabled?: boolean;
  actions: string[];
  agents?: { names?: string[]; tags?: string[] };
  condition?: string;
  effect: Effect;
  reason?: string;
  reviewers?: { groups: string[] };
  approvals_required?: number;
  reason_required_to_approve?: boolean;
  owner_may_decide?: boolean;
  wait_seconds?: number;
  grant_ttl_seconds?: number;
  audience?: string;
}

export interface RuleRow {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  version: number;
  definition: RuleDefinition;
  updated_at: string;
  updated_by: string;
}

export interface PolicyDefaults {
  effect: "require_approval";
  approvals_required: number;
  wait_seconds: number;
  grant_ttl_seconds: number;
}

export interface RuleVersion {
  version: number;
  definition: RuleDefinition;
  created_by: string;
  created_at: string;
}

export type { SimulatedOutcome } from "@/lib/schemas/policy";

export interface FieldError {
  path: string;
  message: string;
}
