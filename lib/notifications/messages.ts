import { publicUrl } from "../env.ts";

/**
 * The emails Countersign sends, as plain text and HTML. Everything an agent
 * supplied (summary, action, resource, justification, names) is untrusted:
 * the text part carries it verbatim, the HTML part escapes it, and the
 * subject is one bounded line.
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
  expiresAt: Date;
  approvalsRequired: number;
  riskFlags: { code: string; explanation: string }[];
}

export type EmailKind = "new_request" | "reminder" | "escalation";

const SUBJECT_MAX = 160;

/** One line of at most 160 characters, without control characters (no header injection). */
export function subjectLine(s: string): string {
  const line = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").replace(/\s+/g, " ").trim();
  return line.length > SUBJECT_MAX ? `${line.slice(0, SUBJECT_MAX - 1)}…` : line;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Agent text in a body line: newlines kept in the text part would let it forge lines, so they become spaces. */
const inline = (s: string, max = 500) => {
  const line = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

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
  rows: [string, string][];
  link: { label: string; url: string };
  footer: string;
}

function render(to: string, b: Body): EmailMessage {
  const text = [b.intro, "", ...b.rows.map(([k, v]) => `${k}: ${v}`), "", `${b.link.label}: ${b.link.url}`, "", "--", b.footer].join("\n");
  const html = `<!doctype html><html><body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#18181b;line-height:1.5">
<p>${escapeHtml(b.intro)}</p>
<table style="border-collapse:collapse">${b.rows
    .map(([k, v]) => `<tr><td style="padding:2px 12px 2px 0;color:#71717a;vertical-align:top">${escapeHtml(k)}</td><td style="padding:2px 0;white-space:pre-wrap">${escapeHtml(v)}</td></tr>`)
    .join("")}</table>
<p><a href="${escapeHtml(b.link.url)}" style="display:inline-block;background:#18181b;color:#fff;padding:8px 14px;border-radius:6px;text-decoration:none">${escapeHtml(b.link.label)}</a></p>
<p style="color:#71717a;font-size:12px">${escapeHtml(b.footer)}</p>
</body></html>`;
  return { to, subject: subjectLine(b.subject), text, html };
}

const preferencesFooter = () => `You get this because you review requests in Countersign. Choose which emails you get: ${publicUrl()}/settings/notifications`;

/** A request email to one reviewer: new work, a reminder before it expires, or an escalation. */
export function requestEmail(kind: EmailKind, to: string, r: RequestFacts, o: { now: Date; canDecide: boolean; group?: string }): EmailMessage {
  const url = `${publicUrl()}/requests/${r.id}`;
  const summary = inline(r.summary, 200);
  const left = remaining(r.expiresAt, o.now);
  const subject =
    kind === "new_request"
      ? `Approval needed: ${summary} (${inline(r.agentName, 64)})`
      : kind === "reminder"
        ? `Reminder, ${left} left: ${summary}`
        : `Escalated, undecided with ${left} left: ${summary}`;
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
  return render(to, { subject, intro, rows, link: { label: o.canDecide ? "Review the request" : "Open the request", url }, footer: preferencesFooter() });
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
