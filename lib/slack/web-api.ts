import "server-only";
import { logger } from "../logger.ts";
import type { SlackConfig } from "./config.ts";

export type SlackAnswer = { ok: boolean; error?: string } & Record<string, unknown>;

const TIMEOUT_MS = 5000;

/**
 * One Slack Web API call (https://api.slack.com/web) with the bot token.
 * Writes go as JSON; `users.info` only takes form fields. Never throws: a
 * network failure reads as `{ ok: false, error }`, and callers decide.
 */
export async function slackApi(method: string, args: Record<string, unknown>, config: SlackConfig): Promise<SlackAnswer> {
  const form = method === "users.info";
  try {
    const res = await fetch(`${config.apiUrl}/${method}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${config.token}`,
        "content-type": form ? "application/x-www-form-urlencoded" : "application/json; charset=utf-8",
      },
      body: form ? new URLSearchParams(Object.entries(args).map(([k, v]) => [k, String(v)])).toString() : JSON.stringify(args),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "error",
    });
    const answer = (await res.json().catch(() => null)) as SlackAnswer | null;
    if (!answer || typeof answer.ok !== "boolean") return { ok: false, error: `http_${res.status}` };
    if (!answer.ok) logger.warn({ method, error: answer.error }, "slack call refused");
    return answer;
  } catch (err) {
    logger.warn({ method, err: (err as Error).message }, "slack call failed");
    return { ok: false, error: (err as Error).name === "TimeoutError" ? "timeout" : "unreachable" };
  }
}

/**
 * Tells one user something only they see, in answer to an interaction: through
 * its `response_url` when that is Slack's (or the configured API's own host,
 * for the stand-in), else `chat.postEphemeral`.
 */
export async function tellEphemerally(
  to: { responseUrl?: string | null; channel?: string | null; user: string },
  text: string,
  config: SlackConfig,
): Promise<void> {
  const url = to.responseUrl && trustedResponseUrl(to.responseUrl, config) ? to.responseUrl : null;
  if (url) {
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ response_type: "ephemeral", replace_original: false, text: escapeMrkdwn(text) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "error",
    }).catch((err: Error) => logger.warn({ err: err.message }, "slack response_url failed"));
    return;
  }
  if (to.channel) await slackApi("chat.postEphemeral", { channel: to.channel, user: to.user, text: escapeMrkdwn(text) }, config);
}

/** A payload's `response_url` is only followed to Slack's hooks host (or the stand-in's host that SLACK_API_URL names). */
function trustedResponseUrl(url: string, config: SlackConfig): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === "https:" && u.hostname === "hooks.slack.com") || u.origin === new URL(config.apiUrl).origin;
  } catch {
    return false;
  }
}

/** Slack reads `&`, `<` and `>` as markup (links, mentions): escaped, text stays text. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
}
