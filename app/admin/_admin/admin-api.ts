"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Role } from "@/lib/users/roles";
import type {
  AccessSettings,
  AgentDetail,
  AgentList,
  BulkResumeResult,
  BulkSuspendResult,
  CreatedAdminToken,
  CreatedAgent,
  GroupList,
  InvitedUser,
  IssuedKey,
  PasswordReset,
  ResumedAgent,
  StoppedAgent,
  UserList,
  UserObject,
} from "@/lib/schemas/admin-objects";
import type { Problem } from "@/lib/schemas/requests";
import { ProblemError } from "../../_review/review-api";

export async function call<T>(url: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const res = await fetch(url, {
    method: init.method ?? "GET",
    headers: { accept: "application/json", ...(init.json !== undefined ? { "content-type": "application/json" } : {}) },
    body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    cache: "no-store",
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as Partial<Problem> | null;
    if (res.status === 401) window.location.assign("/signin");
    const fields = body?.errors?.map((e) => `${e.path}: ${e.message}`).join("; ");
    throw new ProblemError(res.status, body?.code ?? "error", [body?.detail ?? `The server answered ${res.status}.`, fields].filter(Boolean).join(" — "));
  }
  return (await res.json()) as T;
}

export const adminKeys = {
  all: ["admin"] as const,
  agents: ["admin", "agents"] as const,
  agent: (id: string) => ["admin", "agents", id] as const,
  users: ["admin", "users"] as const,
  groups: ["admin", "groups"] as const,
  access: ["admin", "access"] as const,
};

const agentUrl = (id: string) => `/api/v1/admin/agents/${encodeURIComponent(id)}`;

export const useAgents = () => useQuery({ queryKey: adminKeys.agents, queryFn: () => call<AgentList>("/api/v1/admin/agents") });

export const useAgent = (id: string) =>
  useQuery({
    queryKey: adminKeys.agent(id),
    queryFn: () => call<AgentDetail>(agentUrl(id)),
    retry: (count, err) => !(err instanceof ProblemError && err.status < 500) && count < 2,
  });

export const useUsers = () => useQuery({ queryKey: adminKeys.users, queryFn: () => call<UserList>("/api/v1/admin/users") });
export const useGroups = () => useQuery({ queryKey: adminKeys.groups, queryFn: () => call<GroupList>("/api/v1/admin/groups") });

/** A change through the admin API; afterwards everything in the console is re-read. */
function useAdminMutation<V, R>(fn: (v: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: fn, onSettled: () => client.invalidateQueries({ queryKey: adminKeys.all }) });
}

export const useCreateAgent = () =>
  useAdminMutation((v: { name: string; description: string; owner: string; trust_level: string; tags: string[]; key_expires_in_days: number | null }) =>
    call<CreatedAgent>("/api/v1/admin/agents", {
      method: "POST",
      json: { ...v, description: v.description || null, owner: v.owner || null, key_expires_in_days: v.key_expires_in_days },
    }),
  );

export const useUpdateAgent = (id: string) =>
  useAdminMutation((v: { description: string; owner: string; trust_level: string; tags: string[] }) =>
    call<AgentDetail>(agentUrl(id), {
      method: "PATCH",
      json: { description: v.description || null, owner: v.owner || null, trust_level: v.trust_level, tags: v.tags },
    }),
  );

export const useAgentStatus = (id: string) =>
  useAdminMutation(({ action, reason }: { action: "suspend" | "resume" | "retire"; reason: string }) =>
    call<StoppedAgent | ResumedAgent>(`${agentUrl(id)}/${action}`, { method: "POST", json: reason ? { reason } : {} }),
  );

/** Bulk containment: suspend or resume every agent with a tag, or every agent, in one call. */
export const useBulkAgentStatus = () =>
  useAdminMutation(({ action, choice, reason }: { action: "suspend" | "resume"; choice: { tag: string } | { all: true }; reason: string }) =>
    call<BulkSuspendResult | BulkResumeResult>(`/api/v1/admin/agents/${action}`, { method: "POST", json: { ...choice, ...(reason ? { reason } : {}) } }),
  );

export const useIssueKey = (id: string) =>
  useAdminMutation((v: { expires_in_days: number | null }) => call<IssuedKey>(`${agentUrl(id)}/keys`, { method: "POST", json: v }));

export const useRevokeKey = (id: string) =>
  useAdminMutation((keyId: string) => call(`${agentUrl(id)}/keys/${encodeURIComponent(keyId)}/revoke`, { method: "POST" }));

export const useUpdateUser = () =>
  useAdminMutation(({ id, ...json }: { id: string; role?: Role; disabled?: boolean }) =>
    call<UserObject>(`/api/v1/admin/users/${encodeURIComponent(id)}`, { method: "PATCH", json }),
  );

export const useInviteUser = () =>
  useAdminMutation((v: { email: string; name: string; role: Role }) =>
    call<InvitedUser>("/api/v1/admin/users", { method: "POST", json: { email: v.email, role: v.role, name: v.name || null } }),
  );

export const useResetPassword = () =>
  useAdminMutation((id: string) => call<PasswordReset>(`/api/v1/admin/users/${encodeURIComponent(id)}/reset-password`, { method: "POST" }));

export const useGroupChange = () =>
  useAdminMutation((v: { op: "create"; name: string } | { op: "add" | "remove"; group: string; userId: string }) =>
    v.op === "create"
      ? call("/api/v1/admin/groups", { method: "POST", json: { name: v.name } })
      : v.op === "add"
        ? call(`/api/v1/admin/groups/${encodeURIComponent(v.group)}/members`, { method: "POST", json: { user_id: v.userId } })
        : call(`/api/v1/admin/groups/${encodeURIComponent(v.group)}/members/${encodeURIComponent(v.userId)}`, { method: "DELETE" }),
  );

export const useAccess = () => useQuery({ queryKey: adminKeys.access, queryFn: () => call<AccessSettings>("/api/v1/admin/access") });
export const useSetSsoDefaultRole = () =>
  useAdminMutation((role: Role) => call<unknown>("/api/v1/admin/access", { method: "PUT", json: { default_role: role } }));
export const useCreateAdminToken = () =>
  useAdminMutation((token: { name: string; scopes: string[] }) => call<CreatedAdminToken>("/api/v1/admin/tokens", { method: "POST", json: token }));
export const useRevokeAdminToken = () =>
  useAdminMutation((id: string) => call<unknown>(`/api/v1/admin/tokens/${encodeURIComponent(id)}/revoke`, { method: "POST" }));
