import "server-only";
import { publicUrl } from "../env.ts";
import { displayLine, escapeHidden } from "../text/hidden-characters.ts";
import { escapeMrkdwn } from "./web-api.ts";

/** What a Slack message about a request shows, read fresh each time it is posted or updated. */
export interface SlackRequestView {
  id: string;
  agentName: string;
  action: string;
  resource: string | null;
  summary: string;
  params: unknown;
  riskScore: number | null;
  riskFlags: string[];
  expiresAt: Date;
  approvalsRequired: number;
  status: string;
  votes: { email: string; decision: string; reason: string | null }[];
  /** False when the rule says `chat_approval: false`: the message links to the dashboard instead of offering buttons. */
  chatApproval: boolean;
}

const PARAMS_MAX = 2500;

/** Agent text on one line, bounded, hidden characters as ⟨U+…⟩ markers. Shown as plain_text, which Slack never reads as markup. */
function line(s: string, max: number): string {
  const chars = [...displayLine(s).replace(/\s+/g, " ").trim()];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : chars.join("") || "(empty)";
}

/** The params as canonical-ordered, indented JSON with hidden characters marked; cut (and said so) past Slack's block size. */
export function paramsText(params: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
  const text = escapeHidden(JSON.stringify(sorted(params), null, 2));
  return text.length > PARAMS_MAX ? `${text.slice(0, PARAMS_MAX)}\n… (cut here; the whole params are on the request page)` : text;
}

const plain = (text: string) => ({ type: "plain_text" as const, text, emoji: false });

function outcomeLine(v: SlackRequestView): string {
  const approvals = v.votes.filter((x) => x.decision === "approve");
  const by = (list: typeof v.votes) => list.map((x) => `${x.email}${x.reason ? ` ("${line(x.reason, 200)}")` : ""}`).join(", ");
  switch (v.status) {
    case "approved":
      return `Approved by ${by(approvals)}`;
    case "denied":
      return `Denied by ${by(v.votes.filter((x) => x.decision === "deny"))}`;
    case "expired":
      return "Expired undecided";
    case "cancelled":
      return "Cancelled";
    default:
      return approvals.length ? `${approvals.length} of ${v.approvalsRequired} approvals: ${by(approvals)}` : "";
  }
}

/** The message: summary, facts, params as inert preformatted text, then the buttons (or the outcome, once decided). */
export function requestMessage(v: SlackRequestView): { text: string; blocks: unknown[] } {
  const url = `${publicUrl()}/requests/${v.id}`;
  const pending = v.status === "pending";
  const risk = v.riskScore === null ? "n/a" : `${v.riskScore}${v.riskFlags.length ? ` (${v.riskFlags.map((f) => line(f, 120)).join("; ")})` : ""}`;
  const fields = [
    plain(`Agent: ${line(v.agentName, 64)}`),
    plain(`Action: ${line(v.action, 128)}`),
    ...(v.resource ? [plain(`Resource: ${line(v.resource, 200)}`)] : []),
    plain(`Risk: ${line(risk, 400)}`),
    plain(`Expires: ${v.expiresAt.toISOString().replace("T", " ").slice(0, 16)} UTC`),
    ...(v.approvalsRequired > 1 ? [plain(`Approvals needed: ${v.approvalsRequired}`)] : []),
  ];
  const blocks: unknown[] = [
    { type: "header", text: plain(pending ? "Approval needed" : `Request ${v.status}`) },
    { type: "section", text: plain(line(v.summary, 300)) },
    { type: "section", fields },
    // rich_text elements are literal text: no links, mentions or formatting from agent input.
    { type: "rich_text", elements: [{ type: "rich_text_preformatted", elements: [{ type: "text", text: paramsText(v.params) }] }] },
  ];
  const outcome = outcomeLine(v);
  if (outcome) blocks.push({ type: "context", elements: [plain(outcome)] });
  if (pending && v.chatApproval) {
    blocks.push({
      type: "actions",
      block_id: "countersign_decide",
      elements: [
        { type: "button", action_id: "approve", text: plain("Approve"), style: "primary", value: v.id },
        { type: "button", action_id: "deny", text: plain("Deny"), style: "danger", value: v.id },
        { type: "button", action_id: "open", text: plain("Open in Countersign"), url },
      ],
    });
  } else {
    if (pending) blocks.push({ type: "context", elements: [plain("This rule asks for decisions in the dashboard, not in chat.")] });
    blocks.push({ type: "actions", block_id: "countersign_open", elements: [{ type: "button", action_id: "open", text: plain("Open in Countersign"), url }] });
  }
  const text = pending ? `Approval needed: ${line(v.summary, 200)}` : `Request ${v.status}: ${line(v.summary, 200)}`;
  return { text: escapeMrkdwn(text), blocks };
}

/** The reason dialog (views.open): deny, or approve where the rule demands a reason. */
export function reasonModal(o: { requestId: string; decision: "approve" | "deny"; summary: string; channel: string | null; responseUrl: string | null }) {
  const verb = o.decision === "deny" ? "Deny" : "Approve";
  return {
    type: "modal",
    callback_id: "countersign_decision",
    private_metadata: JSON.stringify({ request_id: o.requestId, decision: o.decision, channel: o.channel, response_url: o.responseUrl }),
    title: plain(`${verb} request`),
    submit: plain(verb),
    close: plain("Cancel"),
    blocks: [
      { type: "section", text: plain(line(o.summary, 300)) },
      {
        type: "input",
        block_id: "reason",
        label: plain(o.decision === "deny" ? "Why deny? (required)" : "Why approve? (this rule requires a reason)"),
        element: { type: "plain_text_input", action_id: "reason", multiline: true, min_length: 1, max_length: 1000 },
      },
    ],
  };
}
