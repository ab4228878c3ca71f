import "server-only";
import pino from "pino";
import { env } from "./env.ts";

let created: pino.Logger | undefined;
type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

// Made at the first line logged, not at import: the environment (LOG_LEVEL)
// is read then, after the CLI and tests have settled it.
function instance(): pino.Logger {
  return (created ??= pino({
    level: env().LOG_LEVEL,
    base: { service: "countersign" },
    redact: ["req.headers.authorization", "req.headers.cookie", "token", "password", "key"],
  }));
}

const at = (level: Level) =>
  ((...args: unknown[]) => {
    const log = instance();
    (log[level] as (...a: unknown[]) => void).apply(log, args);
  }) as pino.LogFn;

/** Structured JSON logs on stdout. Never log secrets or agent-supplied payloads. */
export const logger: Pick<pino.Logger, Level> = {
  fatal: at("fatal"),
  error: at("error"),
  warn: at("warn"),
  info: at("info"),
  debug: at("debug"),
  trace: at("trace"),
};
