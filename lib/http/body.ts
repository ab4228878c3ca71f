import "server-only";
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { zodErrors } from "./problem.ts";
import { parseStrictJson } from "./strict-json.ts";

export const MAX_BODY_BYTES = 64 * 1024;

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a text body of at most 64 KiB. A declared or actual size above the
 * limit is refused with 413 before any parsing; the stream is cut off as soon
 * as it passes the limit, so a huge body never sits in memory. Invalid UTF-8
 * is refused, not replaced: two different byte strings must never read as
 * the same text.
 */
export async function readText(req: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw new AppError("payload_too_large", `request bodies are limited to ${limit} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read().catch(() => {
        // The client went away mid-body: nobody will read this answer, but it must not look like an outage.
        throw new AppError("validation_failed", "the request body could not be read", { errors: [{ path: "(body)", message: "incomplete body" }] });
      });
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw new AppError("payload_too_large", `request bodies are limited to ${limit} bytes`);
      }
      chunks.push(value);
    }
  }
  try {
    return UTF8.decode(Buffer.concat(chunks));
  } catch {
    throw new AppError("validation_failed", "the request body is not valid UTF-8", { errors: [{ path: "(body)", message: "invalid UTF-8" }] });
  }
}

/**
 * Reads a JSON body of at most 64 KiB (see `readText`), parsed strictly (see
 * `parseStrictJson`). An empty body is refused, or reads as `{}` when the
 * body is `optional`.
 */
export async function readJson(req: Request, limit = MAX_BODY_BYTES, options: { optional?: boolean } = {}): Promise<unknown> {
  const text = await readText(req, limit);
  if (!text.trim() && options.optional) return {};
  if (!text.trim()) throw new AppError("validation_failed", "a JSON body is required", { errors: [{ path: "(body)", message: "empty body" }] });
  return parseStrictJson(text);
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix = ""): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new AppError("validation_failed", "the request is not valid", { errors: zodErrors(result.error, prefix) });
  }
  return result.data;
}

export async function readBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  return parseWith(schema, await readJson(req));
}

/** Reads the query string; like a body member, a repeated parameter is refused rather than letting the last one win. */
export function readQuery<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  const params: Record<string, string> = {};
  for (const [name, value] of new URL(req.url).searchParams) {
    if (Object.hasOwn(params, name)) {
      throw new AppError("validation_failed", "the request is not valid", { errors: [{ path: `query.${name}`, message: "repeated query parameter" }] });
    }
    Object.defineProperty(params, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return parseWith(schema, params, "query");
}

export function json(body: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  headers.set("cache-control", "no-store");
  return new Response(JSON.stringify(body), { ...init, headers });
}
