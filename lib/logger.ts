import "server-only";
import pino from "pino";

/** Structured JSON logs on stdout. Never log secrets or agent-supplied payloads. */
export const logger: pino.Logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
  base: { service: "countersign" },
  redact: ["req.headers.authorization", "req.headers.cookie", "token", "password", "key"],
});
