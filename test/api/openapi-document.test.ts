import { compileErrors, validate } from "@readme/openapi-parser";
import type { RouteConfig, ZodMediaTypeObject } from "@asteasolutions/zod-to-openapi";
import { beforeAll, describe, expect, it } from "vitest";
import type { ZodType } from "zod";
import { openApiRegistry } from "../../lib/openapi/index.ts";
import { parsePolicyText } from "../../lib/policy/policy-as-code.ts";
import { ROUTES } from "../../lib/routes/index.ts";
import { baseUrl } from "../support/fixtures.ts";

// The served OpenAPI document: valid OpenAPI 3.1, describing every route of
// the table (and nothing else), with examples that the validating schemas
// accept.

const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
/** A static document has no failure of its own to describe. */
const CANNOT_FAIL = new Set(["get /api/v1/openapi.json"]);

/** Every `method path` of the route table that is part of the API document. */
const servedOperations = () =>
  ROUTES.filter((r) => r.docs)
    .map((r) => `${r.method.toLowerCase()} ${r.path}`)
    .sort();

type Operation = {
  summary?: string;
  description?: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: unknown; example?: unknown; examples?: unknown }> }>;
};

let doc: { openapi: string; paths: Record<string, Record<string, Operation>>; info: { description: string } };
const operations = () =>
  Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.entries(item)
      .filter(([m]) => (HTTP_METHODS as readonly string[]).includes(m.toUpperCase()))
      .map(([m, op]) => ({ key: `${m} ${p}`, op })),
  );

beforeAll(async () => {
  const res = await fetch(`${baseUrl()}/api/v1/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  doc = await res.json();
});

describe("the served OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  it("documents every route of the table, and only those", () => {
    const served = servedOperations();
    expect(served.length).toBeGreaterThan(40);
    expect(served).toContain("get /.well-known/jwks.json");
    expect(served).toContain("get /api/v1/openapi.json");
    expect(
      operations()
        .map((o) => o.key)
        .sort(),
    ).toEqual(served);
    expect(doc.info.description).toContain("/api/auth/*");
  });

  it("gives every operation a summary, a description, its security, a success with a schema or example, and its errors", () => {
    for (const { key, op } of operations()) {
      expect(op.summary?.trim(), key).toBeTruthy();
      expect(op.description?.trim(), key).toBeTruthy();
      expect(op.security, `${key} declares its security (an empty list when public)`).toBeDefined();
      const success = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect(success.length, `${key} has a 2xx response`).toBeGreaterThan(0);
      for (const [status, response] of success) {
        if (status === "204") continue;
        const media = Object.values(response.content ?? {});
        expect(media.length, `${key} ${status} has content`).toBeGreaterThan(0);
        for (const m of media) expect(m.schema ?? m.example ?? m.examples, `${key} ${status}`).toBeDefined();
      }
      const failures = Object.entries(op.responses).filter(([status]) => /^[45]\d\d$/.test(status));
      if (!CANNOT_FAIL.has(key)) expect(failures.length, `${key} documents its errors`).toBeGreaterThan(0);
      for (const [status, response] of failures) {
        if (key === "get /api/health") continue; // its 503 is the health body, not a problem
        const problem = response.content?.["application/problem+json"];
        expect(problem?.schema, `${key} ${status} is a problem`).toEqual({ $ref: "#/components/schemas/Problem" });
        expect(Object.keys((problem?.examples as object) ?? {}).length, `${key} ${status} has examples`).toBeGreaterThan(0);
      }
    }
  });
});

describe("the document's examples", () => {
  const routes = openApiRegistry(ROUTES)
    .definitions.filter((d): d is { type: "route"; route: RouteConfig } => d.type === "route")
    .map((d) => d.route);

  function examplesOf(media: ZodMediaTypeObject): [string, unknown][] {
    return [
      ...(media.example !== undefined ? [["example", media.example] as [string, unknown]] : []),
      ...Object.entries(media.examples ?? {}).map(([name, e]) => [name, (e as { value: unknown }).value] as [string, unknown]),
    ];
  }

  /** YAML examples are text; the policy endpoints read them with the same parser as the handler. */
  const decode = (mediaType: string, value: unknown) => (mediaType === "application/yaml" ? parsePolicyText(value as string) : value);

  it("has request-body examples for every body, and the validating schema accepts each", () => {
    let checked = 0;
    for (const route of routes) {
      const content = route.request?.body?.content ?? {};
      for (const [mediaType, media] of Object.entries(content)) {
        const examples = examplesOf(media!);
        expect(examples.length, `${route.method} ${route.path} ${mediaType} has examples`).toBeGreaterThan(0);
        for (const [name, value] of examples) {
          const result = (media!.schema as ZodType).safeParse(decode(mediaType, value));
          expect(result.success, `${route.method} ${route.path} ${mediaType} example ${name}: ${result.error?.message}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it("shows responses exactly as their schemas describe them (no field left out or undocumented)", () => {
    let checked = 0;
    for (const route of routes) {
      for (const [status, response] of Object.entries(route.responses)) {
        for (const [mediaType, media] of Object.entries(("content" in response ? response.content : undefined) ?? {})) {
          for (const [name, value] of examplesOf(media!)) {
            const decoded = decode(mediaType, value);
            const result = (media!.schema as ZodType).safeParse(decoded);
            expect(result.success, `${route.method} ${route.path} ${status} example ${name}: ${result.error?.message}`).toBe(true);
            // zod drops keys a schema does not name, so any difference is an undocumented field.
            expect(result.data, `${route.method} ${route.path} ${status} example ${name}`).toEqual(decoded);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
