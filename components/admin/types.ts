import type { Role } from "@/lib/users/roles";

/** The admin API's shapes, as the console's components receive them. */
export type AgentStatus = "active" | "suspended" | "retired";

export interface AgentRow {
  id: string;
  name: string;
  description: string | null;
  owner: string | null;
  trust_level: string;
  tags: string[];
  status: AgentStatus;
  created_at: string;
  last_seen_at: string | null;
  live_keys: number;
  requests: { pending: number; total: number };
}

export interface KeyRow {
  id: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  live: boolean;
}

export type AgentDetail = AgentRow & { keys: KeyRow[] };

export type { Role };

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  local_account: boolean;
  groups: string[];
  created_at: string;
  last_sign_in_at: string | null;
}

export interface GroupRow {
  id: string;
  name: string;
  created_at: string;
  members: { id: string; email: string; name: string | null; role: string; disabled: boolean }[];
}
