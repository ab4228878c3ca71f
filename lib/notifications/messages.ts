import "server-only";
import { publicUrl } from "../env.ts";
import { displayLine, hiddenCharactersWarning, scanRequest } from "../text/hidden-characters.ts";

/**
 * The emails Countersign sends, as plain text and HTML. Everything an agent
 * supplied (summary, action, resource, justification, names) is untrusted:
 * it is shown on one line with hidden characters written as ⟨U+…⟩ markers
 * (a warning names them), the HTML part escapes it, and the subject is one
 * bounded line.
 */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface RequestFacts {
  id: string;
  agentName: string;
  action: string;
  resource: string | null;
  summary: string;
  justification: string | null;
  /** Not shown, only checked for hidden characters with the text above. */
  params: unknown;
  context: unknown;
  expiresAt: Date;
  approvalsRequired: number;
  riskFlags: { code: string; explanation: string }[];
}

export type EmailKind = "new_request" | "reminder" | "escalation";

const SUBJECT_MAX = 160;

/** At most `max` characters (code points, so no pair is cut in half). */
function bounded(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : s;
}

/** One line of at most 160 characters, without control or hidden characters (no header injection, no reordering). */
export function subjectLine(s: string): string {
  return bounded(displayLine(s).replace(/\s+/g, " ").trim(), SUBJECT_MAX);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Agent text in a body line: newlines kept in the text part would let it forge lines, so they become spaces; hidden characters become markers. */
const inline = (s: string, max = 500) => bounded(displayLine(s).trim(), max);

function remaining(expiresAt: Date, now: Date): string {
  const minutes = Math.max(0, Math.round((expiresAt.getTime() - now.getTime()) / 60_000));
  if (minutes < 1) return "less than a minute";
  if (minutes < 90) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hours` : `${Math.round(hours / 24)} days`;
}

interface Body {
  subject: string;
  intro: string;
  /** Shown first, in red in the HTML part. */
  warning?: string | null;
  rows: [string, string][];
  link: { label: string; url: string };
  /** One-time decision links, shown after the main link. */
  decisionLinks?: { approve: string; deny: string; minutes: number };
  footer: string;
}

function render(to: string, b: Body): EmailMessage {
  const text = [
    ...(b.warning ? [`WARNING: ${b.warning}`, ""] : []),
    b.intro,
    "",
    ...b.rows.map(([k, v]) => `${k}: ${v}`),
    "",
    `${b.link.label}: ${b.link.url}`,
    ...(b.decisionLinks
      ? [
          "",
          `Approve (you confirm on the next page): ${b.decisionLinks.approve}`,
          `Deny (you give the reason on the next page): ${b.decisionLinks.deny}`,
          decisionLinksNote(b.decisionLinks.minutes),
        ]
      : []),
    "",
    "--",
    b.footer,
  ].join("\n");
  const html = `<!doctype html><html><body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#18181b;line-height:1.5">
${b.warning ? `<p style="border:1px solid #fecaca;background:#fef2f2;color:#991b1b;padding:8px 12px;border-radius:6px"><strong>Warning:</strong> ${escapeHtml(b.warning)}</p>\n` : ""}<p>${escapeHtml(b.intro)}</p>
<table style="border-collapse:collapse">${b.rows
    .map(
      ([k, v]) =>
        `<tr><td style="padding:2px 12px 2px 0;color:#71717a;vertical-align:top">${escapeHtml(k)}</td><td style="padding:2px 0;white-space:pre-wrap">${escapeHtml(v)}</td></tr>`,
    )
    .join("")}</table>
<p><a href="${escapeHtml(b.link.url)}" style="display:inline-block;background:#18181b;color:#fff;padding:8px 14px;border-radius:6px;text-decoration:none">${escapeHtml(b.link.label)}</a></p>
${
  b.decisionLinks
    ? `<p><a href="${escapeHtml(b.decisionLinks.approve)}" style="display:inline-block;border:1px solid #15803d;color:#15803d;padding:6px 12px;border-radius:6px;text-decoration:none;margin-right:8px">Approve…</a><a href="${escapeHtml(b.decisionLinks.deny)}" style="display:inline-block;border:1px solid #b91c1c;color:#b91c1c;padding:6px 12px;border-radius:6px;text-decoration:none">Deny…</a></p>
<p style="color:#71717a;font-size:12px">${escapeHtml(decisionLinksNote(b.decisionLinks.minutes))}</p>
`
    : ""
}<p style="color:#71717a;font-size:12px">${escapeHtml(b.footer)}</p>
</body></html>`;
  return { to, subject: subjectLine(b.subject), text, html };
}

const decisionLinksNote = (minutes: number) =>
  `Each decision link works once, for ${minutes} minutes, only for you and only signed in; nothing is decided until you confirm.`;

const preferencesFooter = () => `You get this because you review requests in Countersign. Choose which emails you get: ${publicUrl()}/settings/notifications`;

/** A request email to one reviewer: new work, a reminder before it expires, or an escalation. */
export function requestEmail(
  kind: EmailKind,
  to: string,
  r: RequestFacts,
  o: { now: Date; canDecide: boolean; group?: string; decisionLinks?: { approve: string; deny: string; minutes: number } },
): EmailMessage {
  const url = `${publicUrl()}/requests/${r.id}`;
  const summary = inline(r.summary, 200);
  const left = remaining(r.expiresAt, o.now);
  const warning = hiddenCharactersWarning(scanRequest(r));
  const flagged = warning ? " (hidden characters)" : "";
  const subject =
    kind === "new_request"
      ? `Approval needed${flagged}: ${summary} (${inline(r.agentName, 64)})`
      : kind === "reminder"
        ? `Reminder, ${left} left${flagged}: ${summary}`
        : `Escalated, undecided with ${left} left${flagged}: ${summary}`;
  const intro =
    kind === "new_request"
      ? `${inline(r.agentName, 64)} asks for approval.`
      : kind === "reminder"
        ? `This request is still undecided and expires in ${left}.`
        : `This request is still undecided and expires in ${left}. It is escalated to the ${o.group ?? "escalation"} group${o.canDecide ? "" : "; you cannot decide it yourself, but you can find someone who can"}.`;
  const rows: [string, string][] = [
    ["Summary", inline(r.summary)],
    ["Agent", inline(r.agentName, 64)],
    ["Action", inline(r.action, 128)],
  ];
  if (r.resource) rows.push(["Resource", inline(r.resource, 256)]);
  if (r.justification) rows.push(["Justification", inline(r.justification)]);
  if (r.approvalsRequired > 1) rows.push(["Approvals needed", String(r.approvalsRequired)]);
  if (r.riskFlags.length) rows.push(["Risk", r.riskFlags.map((f) => inline(f.explanation, 200)).join("; ")]);
  rows.push(["Expires", `${r.expiresAt.toISOString().replace("T", " ").slice(0, 16)} UTC (in ${left})`]);
  return render(to, {
    subject,
    intro,
    warning: warning && `${warning} Here they are written as ⟨U+…⟩ markers; the request page marks them too.`,
    rows,
    link: { label: o.canDecide ? "Review the request" : "Open the request", url },
    decisionLinks: o.canDecide ? o.decisionLinks : undefined,
    footer: preferencesFooter(),
  });
}

/** To an agent's owner: their agent was suspended (by an admin or by automatic containment). */
export function agentSuspendedEmail(to: string, a: { id: string; name: string; by: string; reason: string | null; automatic: boolean }): EmailMessage {
  const name = inline(a.name, 64);
  return render(to, {
    subject: `Agent ${name} was suspended${a.automatic ? " automatically" : ""}`,
    intro: `${name} was suspended${a.automatic ? " by automatic containment" : ""}: its keys are refused, its pending requests were cancelled and its unredeemed grants revoked. An admin can resume it.`,
    rows: [
      ["Agent", name],
      ["By", a.automatic ? "automatic containment" : inline(a.by, 128)],
      ["Reason", a.reason ? inline(a.reason) : "none given"],
    ],
    link: { label: "Open the agent", url: `${publicUrl()}/admin/agents/${a.id}` },
    footer: "You get this because you own this agent in Countersign.",
  });
}
