import type { Metadata } from "next";
import { requireReviewer } from "../../_review/require-reviewer";
import { DecisionLinkView } from "./decision-link-view";

export const metadata: Metadata = { title: "Confirm your decision", referrer: "no-referrer" };

/**
 * A one-time decision link from an email. Opening it decides nothing: it
 * needs the reviewer's own session (sign-in comes back here), then shows the
 * request and asks them to confirm.
 */
export default async function DecisionLinkPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  await requireReviewer(`/decide/${encodeURIComponent(token)}`);
  return <DecisionLinkView token={token} />;
}
