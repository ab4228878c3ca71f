import pino from "pino";
import { env } from "./env.ts";

const key = Symbol.for("countersign.logger");
type Holder = { [key]?: pino.Logger };

/** Structured JSON logs on stdout. Never log secrets or agent-supplied payloads. */
export const logger: pino.Logger = ((globalThis as Holder)[key] ??= pino({
  level: env().LOG_LEVEL,
  base: { service: "countersign" },
  redact: ["req.headers.authorization", "req.headers.cookie", "token", "password", "key"],
}));
