import "server-only";
import type { OpenAPIRegistry, ResponseConfig, ZodMediaTypeObject } from "@asteasolutions/zod-to-openapi";
import type { ZodType } from "zod";
import { STATUS_BY_CODE, type ErrorCode, type FieldError } from "../errors.ts";
import { problemBody } from "../http/problem.ts";
import { MAX_BODY_BYTES } from "../http/body.ts";
import { Problem } from "../schemas/requests.ts";
import { z } from "../schemas/zod.ts";

/*
 * What every part of the document shares: security schemes, tags, the
 * problem responses and small helpers for content with examples.
 */

export function registerSecuritySchemes(r: OpenAPIRegistry): void {
  r.registerComponent("securitySchemes", "agentKey", {
    type: "http",
    scheme: "bearer",
    description:
      "An agent key, `Authorization: Bearer csk_<key id>_<secret>`. Admins issue keys in the dashboard (or `countersign agents create`); each is shown once. A missing, malformed, unknown, revoked or expired key gets the same 401; a suspended agent gets 403 `agent_suspended`.",
  });
  r.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: "authjs.session-token",
    description:
      "The dashboard's sign-in session (`__Secure-authjs.session-token` over HTTPS). Calls that change something must come from the app's own origin: an `Origin` header of another site, or none, is refused with 403.",
  });
  r.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description:
      "An admin API token for automation (policy as code from CI, provisioning agents, users, groups and webhooks, incident tooling), `Authorization: Bearer csa_<id>_<secret>`. Created by an admin in the dashboard (Admin → Access), with `POST /api/v1/admin/tokens` or with `countersign admin-tokens create [--scope S]…`; shown once. Every endpoint under `/api/v1/admin/` accepts one that holds the scope the operation names (its description says which, and so does its `security` requirement): `policies:read`, `policies:write`, `agents:read`, `agents:write`, `users:read`, `users:write`, `audit:read`, `audit:write`, `webhooks:read`, `webhooks:write`, or `admin`, which reaches everything, including the tokens themselves and single sign-on's default role. A `:write` scope implies its `:read`. A token without the scope gets 403 `insufficient_scope` naming it; a token with no scopes given at creation has `admin`. Calls with a token are audited as the token (`admin_token:<id>`).",
  });
  r.registerComponent("securitySchemes", "metricsToken", {
    type: "http",
    scheme: "bearer",
    description: "`GET /api/metrics` from another machine: the server's `COUNTERSIGN_METRICS_TOKEN` (clients on the server's own machine need none).",
  });
}

type Security = Record<string, string[]>[];

export const AGENT_AUTH: Security = [{ agentKey: [] }];
export const SESSION_AUTH: Security = [{ session: [] }];
/** Either one: an admin's session, or an admin API token holding `scope`. */
export const adminAuth = (scope: string): Security => [{ session: [] }, { adminToken: [scope] }];

/** Tags in the order a reader meets them; `x-tagGroups` groups them in Scalar's sidebar. */
export const TAGS = [
  {
    name: "Agent",
    description:
      "What an AI agent calls with its agent key: ask for approval, wait for the decision, cancel, and report the outcome after executing. A typical loop: `POST /api/v1/requests`, then `GET /api/v1/requests/{id}?wait=60` until the status leaves `pending`, then hand `grant.token` to the executor.",
  },
  {
    name: "Executor",
    description:
      "What the service that performs an approved action calls. No key is needed: the grant (an Ed25519-signed JWT) is the capability. Verify it offline against the JWKS, or simply redeem it, which also guarantees it is used exactly once.",
  },
  {
    name: "Reviewer",
    description:
      "The dashboard's own endpoints for people who decide: the review queue, a request's details, live updates, and approve/deny. They need a signed-in session.",
  },
  {
    name: "Agents and keys",
    description:
      "Register agents, edit them, issue and revoke their keys, the kill switch (suspend, resume, retire) and automatic containment. Admins; auditors may read. Admin API tokens with `agents:read` / `agents:write`.",
  },
  {
    name: "Users and groups",
    description: "Accounts, roles and reviewer groups. Admins; auditors may read. Admin API tokens with `users:read` / `users:write`.",
  },
  {
    name: "Access",
    description: "Single sign-on's default role and admin API tokens. Admins; auditors may read. Admin API tokens only with the `admin` scope.",
  },
  {
    name: "Policy",
    description:
      "The rules that decide whether a request is allowed, denied or needs approval: the whole policy document (policy as code), single rules, the default, action severity, and simulation. Admins; auditors may read. Admin API tokens with `policies:read` / `policies:write`.",
  },
  {
    name: "Webhooks",
    description:
      "Signed webhooks (Standard Webhooks) to admin-configured endpoints, their delivery history and manual retries. Admins; auditors may read. Admin API tokens with `webhooks:read` / `webhooks:write`.",
  },
  {
    name: "Audit",
    description:
      "The hash-chained audit log as evidence: events with their place in the chain, verification, signed checkpoints, streamed export (JSON lines, CSV) and retention. Admins and auditors; changes are for admins. Admin API tokens with `audit:read` / `audit:write`.",
  },
  {
    name: "Integrations",
    description:
      "Deciding away from the dashboard: Slack's interactivity endpoint (signed by Slack, not by a session) and one-time decision links from email (confirmed with the reviewer's session).",
  },
  { name: "Service", description: "Health, metrics and this document." },
];

export const TAG_GROUPS = [
  { name: "Agents and executors", tags: ["Agent", "Executor"] },
  { name: "Dashboard", tags: ["Reviewer", "Integrations"] },
  { name: "Administration", tags: ["Agents and keys", "Users and groups", "Access", "Policy", "Webhooks", "Audit"] },
  { name: "Operations", tags: ["Service"] },
];

type Examples = Record<string, { summary?: string; description?: string; value: unknown }>;

/** `application/json` content with a schema and named examples. */
export function jsonContent(schema: ZodType, examples?: Examples): Record<string, ZodMediaTypeObject> {
  return { "application/json": { schema, ...(examples ? { examples } : {}) } };
}

/** A request body: JSON, required, with named examples. */
export function body(schema: ZodType, examples: Examples, description?: string) {
  return { required: true, ...(description ? { description } : {}), content: jsonContent(schema, examples) };
}

/** `{ id }` (or another name) as a path parameter. */
export function pathParams(params: Record<string, { description: string; example: string }>) {
  return z.object(
    Object.fromEntries(Object.entries(params).map(([name, p]) => [name, z.string().openapi({ description: p.description, example: p.example })])),
  );
}

/**
 * One way an operation can fail: the code, when it happens, and (for the
 * example) the detail the server sends.
 */
export interface ErrorCase {
  code: ErrorCode;
  when: string;
  detail: string;
  errors?: FieldError[];
}

const RETRY_AFTER = z.object({ "Retry-After": z.string().openapi({ description: "Seconds to wait before trying again.", example: "5" }) });

/**
 * Problem responses (RFC 9457, `application/problem+json`) for the given
 * cases, grouped by status, each code with an example body exactly as the
 * server builds it.
 */
export function errors(...cases: ErrorCase[]): Record<string, ResponseConfig> {
  const byStatus = new Map<number, ErrorCase[]>();
  for (const c of cases) byStatus.set(STATUS_BY_CODE[c.code], [...(byStatus.get(STATUS_BY_CODE[c.code]) ?? []), c]);
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, list]) => {
        const description = list.map((c) => (list.length > 1 ? `\`${c.code}\`: ${c.when}` : c.when)).join(" ");
        const examples = Object.fromEntries(
          list.map((c, i) => [
            list.filter((o) => o.code === c.code).length > 1 ? `${c.code}_${i + 1}` : c.code,
            { summary: c.when, value: problemBody(c.code, c.detail, { errors: c.errors }) },
          ]),
        );
        const response: ResponseConfig = {
          description,
          content: { "application/problem+json": { schema: Problem, examples } },
          ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
        };
        return [String(status), response];
      }),
  );
}

// Cases many operations share.

export const UNAVAILABLE: ErrorCase = {
  code: "unavailable",
  when: "The database is unreachable. Nothing was decided or approved; retry after `Retry-After` seconds.",
  detail: "the service is temporarily unavailable; try again shortly",
};

export const TOO_LARGE: ErrorCase = {
  code: "payload_too_large",
  when: `The body is over ${MAX_BODY_BYTES / 1024} KiB; it was refused before parsing.`,
  detail: `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
};

export function invalid(when: string, errors: FieldError[] = [{ path: "summary", message: "Too small: expected string to have >=1 characters" }]): ErrorCase {
  return { code: "validation_failed", when, detail: "the request is not valid", errors };
}

export const AGENT_UNAUTHENTICATED: ErrorCase = {
  code: "unauthenticated",
  when: "The agent key is missing, malformed, unknown, revoked or expired, or the agent is retired (the same answer in every case).",
  detail: "a valid agent key is required",
};

export const AGENT_SUSPENDED: ErrorCase = {
  code: "agent_suspended",
  when: "The agent is suspended (an admin's kill switch).",
  detail: "this agent is suspended",
};

export const REQUEST_NOT_FOUND: ErrorCase = { code: "not_found", when: "No such request, or it belongs to another agent.", detail: "no such request" };

export const SIGNED_OUT: ErrorCase = { code: "unauthenticated", when: "Not signed in.", detail: "sign in first" };

export function roleForbidden(who: string, writes = true): ErrorCase {
  return {
    code: "forbidden",
    when: writes ? `Only ${who} may do this; or the call came from another origin (a missing or foreign \`Origin\` header).` : `Only ${who} may read this.`,
    detail: "your role does not allow this",
  };
}

export const ADMIN_UNAUTHENTICATED: ErrorCase = {
  code: "unauthenticated",
  when: "Neither an admin session nor a valid admin token. A bearer credential that is not an admin token (an agent key, say) is refused rather than falling back to the session.",
  detail: "sign in as an admin, or send an admin token",
};

/** What a route under `/api/v1/admin/` answers a token without its scope (added to every such operation by lib/openapi). */
export function insufficientScopeCase(scope: string, detail: string): ErrorCase {
  return {
    code: "insufficient_scope",
    when: `An admin API token without the scope \`${scope}\`${scope.endsWith(":read") ? ` (or \`${scope.replace(/:read$/, ":write")}\`, or \`admin\`)` : scope === "admin" ? "" : " (or `admin`)"}.`,
    detail,
  };
}

export const ADMIN_FORBIDDEN: ErrorCase = {
  code: "forbidden",
  when: "Signed in, but not as an admin; or a session call came from another origin.",
  detail: "only admins may do this",
};
