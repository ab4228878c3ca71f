import "server-only";
import { db } from "../db.ts";
import { publicUrl } from "../env.ts";
import { AppError } from "../errors.ts";
import { decideRequest, type Reviewer } from "../requests/decide-request.ts";
import { getRequestById } from "../requests/get-request.ts";
import { getForReviewer } from "../requests/review-view.ts";
import { isId } from "../ids.ts";
import { z } from "../schemas/zod.ts";
import type { SlackConfig } from "./config.ts";
import { chatApprovalAllowed } from "./dispatch-slack.ts";
import { reasonModal } from "./messages.ts";
import { slackApi, tellEphemerally } from "./web-api.ts";

/** What Slack answers: nothing (200, empty) or, for a submitted dialog, its field errors. */
export type InteractionAnswer = { status: 200; body: null } | { status: 200; body: { response_action: "errors"; errors: Record<string, string> } };

const OK: InteractionAnswer = { status: 200, body: null };

const BlockActions = z.looseObject({
  type: z.literal("block_actions"),
  user: z.looseObject({ id: z.string().min(1).max(64) }),
  trigger_id: z.string().max(256).optional(),
  response_url: z.string().max(2048).optional(),
  channel: z.looseObject({ id: z.string().max(64) }).optional(),
  actions: z.array(z.looseObject({ action_id: z.string().max(255), value: z.string().max(2000).optional() })).max(10),
});

const ViewSubmission = z.looseObject({
  type: z.literal("view_submission"),
  user: z.looseObject({ id: z.string().min(1).max(64) }),
  view: z.looseObject({
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3000),
    state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), z.looseObject({ value: z.string().max(4000).nullish() }))) }),
  }),
});

const Metadata = z.object({
  request_id: z.string(),
  decision: z.enum(["approve", "deny"]),
  channel: z.string().nullable(),
  response_url: z.string().nullable(),
});

/**
 * The Countersign reviewer behind a Slack user: Slack's `users.info` gives the
 * profile email, which counts only when Slack says it is confirmed
 * (`is_email_confirmed`); it must belong to an enabled reviewer or admin.
 * Otherwise a sentence saying why not.
 */
export async function reviewerForSlackUser(slackUserId: string, config: SlackConfig): Promise<Reviewer | string> {
  const answer = await slackApi("users.info", { user: slackUserId }, config);
  const u = answer.ok
    ? (answer.user as { is_email_confirmed?: unknown; deleted?: unknown; is_bot?: unknown; profile?: { email?: unknown } } | undefined)
    : undefined;
  if (!u) return "Countersign could not look up your Slack account; decide on the dashboard instead.";
  const email = typeof u.profile?.email === "string" ? u.profile.email.trim().toLowerCase() : "";
  if (u.deleted === true || u.is_bot === true || !email) return "Your Slack account has no email address Countersign can use.";
  if (u.is_email_confirmed !== true) return "Your Slack account's email address is not confirmed, so Countersign cannot tell who you are.";
  const user = await db()
    .selectFrom("users")
    .select(["id", "email", "role"])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email))
    .where("disabled", "=", false)
    .executeTakeFirst();
  if (!user) return "Your Slack email address is not a Countersign reviewer's.";
  if (user.role !== "reviewer" && user.role !== "admin") return "Your Countersign role does not decide requests.";
  return user;
}

const dashboardLink = (id: string) => `${publicUrl()}/requests/${id}`;

/** Why this reviewer may not decide this request from Slack now, or null. Every rule is checked again when the decision is made. */
async function refusal(reviewer: Reviewer, requestId: string): Promise<{ text: string } | { needsReason: boolean; summary: string }> {
  if (!isId("req", requestId)) return { text: "No such request." };
  try {
    const item = await getForReviewer(reviewer, requestId);
    if (!item.can_decide) return { text: `You cannot decide this request: ${item.cannot_decide_reason}.` };
    const r = await getRequestById(requestId);
    if (!(await chatApprovalAllowed(db(), r.policyId, r.policyVersion))) {
      return { text: `This rule asks for decisions on the dashboard: ${dashboardLink(requestId)}` };
    }
    return { needsReason: r.reasonRequiredToApprove, summary: r.summary };
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") return { text: "No such request." };
    throw err;
  }
}

function problemText(err: unknown): string {
  if (err instanceof AppError) return `Not decided: ${err.message}.`;
  throw err;
}

/** One interaction payload (already verified as Slack's): a button press or a submitted reason dialog. */
export async function handleInteraction(payload: unknown, config: SlackConfig): Promise<InteractionAnswer> {
  const actions = BlockActions.safeParse(payload);
  if (actions.success) return onButton(actions.data, config);
  const submission = ViewSubmission.safeParse(payload);
  if (submission.success && submission.data.view.callback_id === "countersign_decision") return onReason(submission.data, config);
  // Other interactions (the link button, shortcuts) need no answer.
  return OK;
}

async function onButton(p: z.infer<typeof BlockActions>, config: SlackConfig): Promise<InteractionAnswer> {
  const action = p.actions.find((a) => a.action_id === "approve" || a.action_id === "deny");
  if (!action?.value) return OK;
  const decision = action.action_id as "approve" | "deny";
  const to = { responseUrl: p.response_url ?? null, channel: p.channel?.id ?? null, user: p.user.id };
  const reviewer = await reviewerForSlackUser(p.user.id, config);
  if (typeof reviewer === "string") {
    await tellEphemerally(to, reviewer, config);
    return OK;
  }
  const check = await refusal(reviewer, action.value);
  if ("text" in check) {
    await tellEphemerally(to, check.text, config);
    return OK;
  }
  if (decision === "deny" || check.needsReason) {
    if (!p.trigger_id) return OK;
    const view = reasonModal({ requestId: action.value, decision, summary: check.summary, channel: to.channel, responseUrl: to.responseUrl });
    const opened = await slackApi("views.open", { trigger_id: p.trigger_id, view }, config);
    if (!opened.ok) await tellEphemerally(to, `Slack could not open the reason dialog; decide on the dashboard: ${dashboardLink(action.value)}`, config);
    return OK;
  }
  try {
    await decideRequest({ requestId: action.value, reviewer, decision: "approve" });
  } catch (err) {
    await tellEphemerally(to, problemText(err), config);
  }
  // The message itself is redrawn by the Slack dispatcher, as for a decision made anywhere else.
  return OK;
}

async function onReason(p: z.infer<typeof ViewSubmission>, config: SlackConfig): Promise<InteractionAnswer> {
  let meta: z.infer<typeof Metadata>;
  try {
    meta = Metadata.parse(JSON.parse(p.view.private_metadata));
  } catch {
    return OK;
  }
  const fail = (text: string): InteractionAnswer => ({ status: 200, body: { response_action: "errors", errors: { reason: text.slice(0, 300) } } });
  const reviewer = await reviewerForSlackUser(p.user.id, config);
  if (typeof reviewer === "string") return fail(reviewer);
  const reason = p.view.state.values.reason?.reason?.value?.trim() ?? "";
  if (!reason) return fail("A reason is required.");
  const check = await refusal(reviewer, meta.request_id);
  if ("text" in check) return fail(check.text);
  try {
    await decideRequest({ requestId: meta.request_id, reviewer, decision: meta.decision, reason });
  } catch (err) {
    return fail(problemText(err));
  }
  return OK;
}
