import "server-only";
import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { publicUrl } from "../env.ts";
import type { ResponseConfig, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { type AdminScope, insufficientScope } from "../admin-tokens/scopes.ts";
import type { Access, AnyRoute } from "../http/define-route.ts";
import { z } from "../schemas/zod.ts";
import { AGENT_AUTH, adminAuth, body, errors, insufficientScopeCase, registerSecuritySchemes, SESSION_AUTH, TAG_GROUPS, TAGS } from "./components.ts";

const DESCRIPTION = `Countersign is a human approval gateway for AI agents: an agent asks before it acts, people (or rules) decide, and the action runs only with a signed, single-use grant.

**The flow.** The agent sends \`POST /api/v1/requests\` with the action, its parameters and why. Rules answer at once (allow, deny) or reviewers decide in the dashboard. The agent waits with \`GET /api/v1/requests/{id}?wait=60\`; once approved it hands \`grant.token\` to the executor, which redeems it (\`POST /api/v1/grants/redeem\`) exactly once, runs the approved action, and the agent reports the outcome.

**Authentication.** Agents send their key (\`Authorization: Bearer csk_…\`). Executors need nothing but the grant. The dashboard's endpoints (reviewer and admin) use the sign-in session and refuse cross-site calls. Every endpoint under \`/api/v1/admin/\` also accepts an admin API token (\`Bearer csa_…\`) that holds the scope the operation states (\`policies\`, \`agents\`, \`users\`, \`audit\`, \`webhooks\` with \`:read\` or \`:write\`, where \`:write\` implies \`:read\`; or \`admin\`, everything): 403 \`insufficient_scope\`, naming the scope, otherwise.

**Conventions.** JSON with \`snake_case\` fields, RFC 3339 UTC timestamps, durations in seconds, ids with a type prefix (\`agt_\`, \`req_\`, \`grt_\`, \`pol_\`, \`usr_\`). Bodies over 64 KiB are refused with 413, unknown fields with 422. JSON bodies are parsed strictly: a duplicate member name at any depth, a \`__proto__\` member, invalid UTF-8 or a lone surrogate is refused with 422 naming the path (nothing sent is dropped or merged before params are hashed); so is a repeated query parameter. Every error is an RFC 9457 problem (\`application/problem+json\`) with a stable \`code\`; validation failures list \`errors\` by path. 429 and 503 carry \`Retry-After\`; a database outage is 503 \`unavailable\` and never approves anything.

**Not described here:** \`/api/auth/*\`, the sign-in endpoints of Auth.js that the dashboard's sign-in page uses (form posts with CSRF tokens and redirects, not an API to call).`;

function securityFor(access: Access) {
  if (access === "public") return [];
  if (access === "agent") return AGENT_AUTH;
  return "session" in access ? SESSION_AUTH : adminAuth(access.scope);
}

/**
 * An admin route states its token scope in its description and answers 403
 * `insufficient_scope` (added here, beside whatever 403 cases the route lists).
 */
function withScope(docs: Pick<RouteConfig, "description" | "responses">, scope: AdminScope) {
  const line = `**Admin API token scope:** \`${scope}\`${scope.endsWith(":read") ? ` (or \`${scope.replace(/:read$/, ":write")}\`, or \`admin\`)` : scope === "admin" ? "" : " (or `admin`)"}.`;
  const refusal = errors(insufficientScopeCase(scope, insufficientScope(scope)))["403"];
  const listed = docs.responses["403"];
  const content = listed && "content" in listed ? listed.content?.["application/problem+json"] : undefined;
  const forbidden: ResponseConfig =
    listed && "content" in listed && content
      ? {
          ...listed,
          description: `${listed.description} \`insufficient_scope\`: ${insufficientScopeCase(scope, "").when}`,
          content: {
            "application/problem+json": {
              ...content,
              examples: { ...content.examples, ...refusal.content?.["application/problem+json"]?.examples },
            },
          },
        }
      : refusal;
  return {
    description: docs.description ? `${docs.description}\n\n${line}` : line,
    responses: { ...docs.responses, 403: forbidden },
  };
}

/** `{ id }` as plain strings, for a path template whose docs do not describe its parameters. */
function plainParams(path: string) {
  const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  return names.length ? z.object(Object.fromEntries(names.map((n) => [n, z.string()]))) : undefined;
}

/** A route's JSON body; an optional one says that an empty body is the same as `{}`. */
function requestBody(schema: z.ZodType, optional: boolean | undefined, examples: Parameters<typeof body>[1], description?: string) {
  if (!optional) return body(schema, examples, description);
  return { ...body(schema, examples, description ?? "Optional: an empty body is the same as `{}`."), required: false };
}

/** Every documented route of the table, as OpenAPI operations built from the zod schemas they validate with. */
export function openApiRegistry(routes: readonly AnyRoute[]): OpenAPIRegistry {
  const r = new OpenAPIRegistry();
  registerSecuritySchemes(r);
  for (const route of routes) {
    if (!route.docs) continue;
    const { request = {}, security, ...docs } = route.docs;
    const { bodyExamples, bodyDescription, ...requestDocs } = request;
    r.registerPath({
      ...docs,
      ...(typeof route.access === "object" && "admin" in route.access ? withScope(docs, route.access.scope) : {}),
      method: route.method.toLowerCase() as "get",
      path: route.path,
      security: security ?? securityFor(route.access),
      request: {
        ...requestDocs,
        params: requestDocs.params ?? plainParams(route.path),
        ...(route.query ? { query: route.query as z.ZodObject } : {}),
        ...(route.body ? { body: requestBody(route.body, route.bodyOptional, bodyExamples ?? {}, bodyDescription) } : {}),
      },
    });
  }
  return r;
}

/** The OpenAPI 3.1 document served at /api/v1/openapi.json and rendered at /docs/api. */
export function openApiDocument(routes: readonly AnyRoute[]) {
  return new OpenApiGeneratorV31(openApiRegistry(routes).definitions).generateDocument({
    openapi: "3.1.0",
    info: { title: "Countersign API", version: "1.0.0", description: DESCRIPTION },
    servers: [{ url: publicUrl(), description: "This gateway" }],
    tags: TAGS,
    "x-tagGroups": TAG_GROUPS,
  });
}
