import "server-only";
import pino from "pino";

const key = Symbol.for("countersign.logger");
type Holder = { [key]?: pino.Logger };

/** Structured JSON logs on stdout. Never log secrets or agent-supplied payloads. */
export const logger: pino.Logger = ((globalThis as Holder)[key] ??= pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
  base: { service: "countersign" },
  redact: ["req.headers.authorization", "req.headers.cookie", "token", "password", "key"],
}));
