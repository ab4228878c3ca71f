import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError, STATUS_BY_CODE, type ErrorCode } from "../errors.ts";
import { toProblem } from "./problem.ts";

async function read(res: Response) {
  return { status: res.status, type: res.headers.get("content-type"), retryAfter: res.headers.get("retry-after"), body: await res.json() };
}

describe("toProblem", () => {
  it.each(Object.entries(STATUS_BY_CODE) as [ErrorCode, number][])("maps AppError %s to %i", async (code, status) => {
    const r = await read(toProblem(new AppError(code, "what happened")));
    expect(r.status).toBe(status);
    expect(r.type).toBe("application/problem+json");
    expect(r.body).toMatchObject({ status, code, detail: "what happened" });
    expect(typeof r.body.type).toBe("string");
    expect(typeof r.body.title).toBe("string");
  });

  it("answers a unique-constraint violation (a lost race between identical creates) with 409, not 500", async () => {
    for (const err of [
      Object.assign(new Error("duplicate key value violates unique constraint"), { code: "23505" }),
      Object.assign(new Error("wrapped"), { cause: { code: "23505" } }),
    ]) {
      const r = await read(toProblem(err));
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "conflict" });
    }
  });

  it("keeps field errors and Retry-After", async () => {
    const validation = await read(toProblem(new AppError("validation_failed", "bad", { errors: [{ path: "summary", message: "required" }] })));
    expect(validation.body.errors).toEqual([{ path: "summary", message: "required" }]);
    const limited = await read(toProblem(new AppError("rate_limited", "slow down", { retryAfterSeconds: 7 })));
    expect(limited.retryAfter).toBe("7");
  });

  it("turns a ZodError into 422 with paths", async () => {
    const result = z
      .strictObject({ summary: z.string(), context: z.strictObject({ confidence: z.number().max(1) }) })
      .safeParse({ context: { confidence: 2 }, extra: 1 });
    const r = await read(toProblem(result.error));
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("validation_failed");
    const paths = r.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["summary", "context.confidence"]));
    expect(JSON.stringify(r.body.errors)).toContain("extra");
  });

  it.each([
    ["ECONNREFUSED", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
    ["a pool that gave no connection in time", new Error("timeout exceeded when trying to connect")],
    ["both loopback addresses refused", new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1:5432"), { code: "ECONNREFUSED" })])],
    ["starting up 57P03", Object.assign(new Error("the database system is starting up"), { code: "57P03" })],
    ["admin shutdown 57P01", Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" })],
    ["a wrapped cause", new Error("query failed", { cause: Object.assign(new Error("boom"), { code: "ECONNRESET" }) })],
  ])("answers a database outage (%s) with 503 unavailable", async (_name, err) => {
    const r = await read(toProblem(err));
    expect(r.status).toBe(503);
    expect(r.body.code).toBe("unavailable");
    expect(Number(r.retryAfter)).toBeGreaterThan(0);
  });

  it.each([
    ["deadlock 40P01", "40P01"],
    ["serialization failure 40001", "40001"],
    ["lock not available 55P03", "55P03"],
  ])("answers a transaction the database aborted (%s) with 503 and Retry-After", async (_name, code) => {
    const r = await read(toProblem(Object.assign(new Error("aborted"), { code })));
    expect(r.status).toBe(503);
    expect(r.body.code).toBe("unavailable");
    expect(r.retryAfter).toBe("1");
  });

  it("answers anything else with a bare 500 that leaks nothing", async () => {
    const err = new TypeError("secret internals at /srv/app/lib/thing.ts");
    const res = toProblem(err);
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(JSON.parse(text)).toMatchObject({ status: 500 });
    expect(text).not.toContain("secret internals");
    expect(text).not.toContain(err.stack!.split("\n")[1].trim());
    expect(text).not.toMatch(/\bat \w/);
    expect((await read(toProblem("a string"))).status).toBe(500);
  });
});
