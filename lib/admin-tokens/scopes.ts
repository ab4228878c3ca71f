/**
 * What an admin API token may reach (API 1.1 "Admin API tokens with
 * scopes"). Pure: the console's token form imports it too.
 *
 * Each admin route declares the one scope it needs (lib/http/define-route.ts);
 * a token passes when it holds that scope, the `:write` of a `:read`, or
 * `admin`, which reaches everything (including the tokens themselves).
 */

export const SCOPE_AREAS = ["policies", "agents", "users", "audit", "webhooks"] as const;

export const ADMIN_SCOPES = [
  "policies:read",
  "policies:write",
  "agents:read",
  "agents:write",
  "users:read",
  "users:write",
  "audit:read",
  "audit:write",
  "webhooks:read",
  "webhooks:write",
  "admin",
] as const;

export type AdminScope = (typeof ADMIN_SCOPES)[number];

/** What each scope reaches, in a line (the console and `countersign admin-tokens create --help` show it). */
export const SCOPE_DESCRIPTIONS: Record<AdminScope, string> = {
  "policies:read": "read rules, the policy document, the default and action severity; simulate",
  "policies:write": "change rules, the policy document, the default and action severity",
  "agents:read": "read agents, their keys and the containment settings",
  "agents:write": "register and edit agents, issue and revoke keys, suspend and resume (the kill switch), containment settings",
  "users:read": "read users and reviewer groups",
  "users:write": "invite users, change roles, reset passwords, manage reviewer groups",
  "audit:read": "read, verify and export the audit log, its checkpoints and retention",
  "audit:write": "sign checkpoints, change and apply audit retention",
  "webhooks:read": "read webhook endpoints and deliveries",
  "webhooks:write": "add, change, test and delete webhooks, rotate their secrets, retry deliveries",
  admin: "everything, including admin API tokens and single sign-on's default role",
};

export function isAdminScope(s: string): s is AdminScope {
  return (ADMIN_SCOPES as readonly string[]).includes(s);
}

/** Whether a token holding `held` may call a route that needs `needed`. */
export function scopeAllows(held: readonly string[], needed: AdminScope): boolean {
  if (held.includes("admin") || held.includes(needed)) return true;
  return needed.endsWith(":read") && held.includes(needed.replace(/:read$/, ":write"));
}

/** The message of a token's refusal, naming the scope the route needs (lib/http/callers.ts sends it, the OpenAPI document shows it). */
export function insufficientScope(scope: AdminScope): string {
  if (scope === "admin") return "this admin token lacks the scope admin";
  const alternatives = scope.endsWith(":read") ? `${scope.replace(/:read$/, ":write")} or admin` : "admin";
  return `this admin token lacks the scope ${scope} (${alternatives} would do)`;
}

/**
 * A token's scopes as given (CLI flags, API body, console form): each one
 * known, duplicates dropped, in the canonical order; none given is `admin`
 * (and `admin` with others is `admin` alone, since it holds them all).
 * Returns the unknown ones instead when there are any.
 */
export function normalizeScopes(given: readonly string[] | undefined): { scopes: AdminScope[] } | { unknown: string[] } {
  if (!given || given.length === 0) return { scopes: ["admin"] };
  const unknown = given.filter((s) => !isAdminScope(s));
  if (unknown.length) return { unknown: [...new Set(unknown)] };
  if (given.includes("admin")) return { scopes: ["admin"] };
  return { scopes: ADMIN_SCOPES.filter((s) => given.includes(s)) };
}
