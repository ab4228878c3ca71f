import "server-only";
import { env } from "../env.ts";

/** The Slack app's settings (README, "Slack"); null when it is not configured. */
export interface SlackConfig {
  token: string;
  signingSecret: string;
  /** The Web API's base URL, without a trailing slash. */
  apiUrl: string;
  /** Reviewer group → channel id. */
  channels: Map<string, string>;
  defaultChannel: string | null;
}

export function slackConfig(): SlackConfig | null {
  const e = env();
  if (!e.SLACK_BOT_TOKEN || !e.SLACK_SIGNING_SECRET) return null;
  const channels = new Map<string, string>();
  for (const pair of (e.SLACK_CHANNELS ?? "").split(",")) {
    const [group, channel] = pair.split(":").map((s) => s.trim());
    if (group && channel) channels.set(group, channel);
  }
  return {
    token: e.SLACK_BOT_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET,
    apiUrl: e.SLACK_API_URL.replace(/\/$/, ""),
    channels,
    defaultChannel: e.SLACK_DEFAULT_CHANNEL ?? null,
  };
}

/**
 * Where a request is posted: the channel of each of its reviewer groups that
 * has one; the default channel when none has (or when any reviewer may decide).
 */
export function channelsFor(reviewerGroups: string[], config: SlackConfig): string[] {
  const mapped = [...new Set(reviewerGroups.map((g) => config.channels.get(g)).filter((c): c is string => !!c))];
  if (mapped.length) return mapped;
  return config.defaultChannel ? [config.defaultChannel] : [];
}
