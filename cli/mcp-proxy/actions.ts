import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

// The action pattern and length of API.md (`POST /api/v1/requests`).
const ACTION_PATTERN = /^[a-z0-9][a-z0-9_.:-]*$/;
const ACTION_MAX = 128;

/** A server name is one action segment: no dots, so `mcp.NAME.*` covers exactly this server's tools. */
export const SERVER_NAME_MAX = 40;
export const SERVER_NAME_PATTERN = new RegExp(`^[a-z0-9][a-z0-9_-]{0,${SERVER_NAME_MAX - 1}}$`);

const SUMMARY_MAX = 200;

/**
 * The action a call of `tool` on server `server` asks for: `mcp.SERVER.TOOL`.
 *
 * A tool name that is already valid in an action (lower case, digits,
 * `_ . : -`, starting with a letter or digit) and fits is used as it is, so
 * rules read like the tool list. Any other name (capitals, other characters,
 * too long) is mapped by its name alone: lower-cased, every other character
 * replaced by `_`, cut to fit, then `-` and the first 8 hex digits of the
 * SHA-256 of the original name, so two names that differ only in case or
 * punctuation never share an action: `createIssue` → `createissue-706a5e2e`.
 */
export function actionFor(server: string, tool: string): string {
  const prefix = `mcp.${server}.`;
  const room = ACTION_MAX - prefix.length;
  if (ACTION_PATTERN.test(tool) && tool.length <= room) return prefix + tool;
  const hash = createHash("sha256").update(tool, "utf8").digest("hex").slice(0, 8);
  let base = tool.toLowerCase().replace(/[^a-z0-9_.:-]/g, "_");
  if (!/^[a-z0-9]/.test(base)) base = `t${base}`;
  return `${prefix}${base.slice(0, room - hash.length - 1)}-${hash}`;
}

/** Cut to `max` characters (code points, so no surrogate pair is split), ending in … when cut. */
function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** `TOOL(name: value, …)`, values as JSON, names in canonical order, cut to 200 characters. */
export function summaryFor(tool: string, args: Record<string, unknown>): string {
  const parts = Object.keys(args)
    .sort()
    .map((key) => `${key}: ${canonicalize(args[key]) ?? "null"}`);
  return cut(`${tool}(${parts.join(", ")})`, SUMMARY_MAX);
}

/** What identifies one call, for idempotency: the server, the tool and the canonical arguments. */
export function fingerprintOf(server: string, tool: string, args: Record<string, unknown>): string {
  return createHash("sha256")
    .update(canonicalize({ server, tool, arguments: args }) ?? "")
    .digest("hex")
    .slice(0, 40);
}
