import "server-only";
import { toProblem } from "../http/problem.ts";
import type { RequestObject } from "../schemas/requests.ts";
import type { Problem } from "../schemas/requests.ts";
import { decideRequest, type Reviewer } from "./decide-request.ts";
import { toRequestObject } from "./serialize-request.ts";

export interface DecideRequestsOptions {
  requestIds: string[];
  reviewer: Reviewer;
  decision: "approve" | "deny";
  reason?: string;
}

export type BatchResult = { id: string; status: number; request: RequestObject } | { id: string; status: number; problem: Problem };

/**
 * A reviewer decides several requests at once (API 1.1 batch decisions).
 * Each item is exactly a single decision (decideRequest: its own lock,
 * transaction, separation-of-duties check and audit events), and its result
 * is what that single call would have answered. Items run one after another
 * in the given order, so a repeated id meets the first one's vote and gets
 * the same 409 as a second vote would; one item's refusal stops nothing.
 */
export async function decideRequests(o: DecideRequestsOptions): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  for (const id of o.requestIds) {
    try {
      const decided = await decideRequest({ requestId: id, reviewer: o.reviewer, decision: o.decision, reason: o.reason });
      results.push({ id, status: 200, request: await toRequestObject(decided) });
    } catch (err) {
      // The same mapping as the HTTP layer's, so `problem` is the body the single call would have had.
      const res = toProblem(err);
      results.push({ id, status: res.status, problem: (await res.json()) as Problem });
    }
  }
  return results;
}
