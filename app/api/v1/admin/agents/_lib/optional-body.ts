import type { z } from "zod";
import { AppError } from "@/lib/errors";
import { parseWith, readJson } from "@/lib/http/body";

/** A JSON body that may be left out entirely (`POST …/suspend` with no reason): empty counts as `{}`. */
export async function readOptionalBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  let value: unknown;
  try {
    value = await readJson(req);
  } catch (err) {
    if (!(err instanceof AppError && err.errors?.[0]?.message === "empty body")) throw err;
    value = {};
  }
  return parseWith(schema, value);
}
