import "server-only";
import { canonicalJson } from "../crypto.ts";
import type { Row } from "../db.ts";

/**
 * Amend on approve (API 1.1): a reviewer may change the top-level params a
 * rule lists in `reviewers_may_edit`, and the grant then binds the amended
 * params. Pure helpers here (the policy check is
 * check-amended-policy.ts); decide-request.ts applies them under the row lock.
 */

/** The top-level names whose value differs (added, removed or changed), sorted. */
export function changedNames(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names]
    .filter((k) => {
      const inBefore = Object.hasOwn(before, k);
      const inAfter = Object.hasOwn(after, k);
      return inBefore !== inAfter || canonicalJson(before[k]) !== canonicalJson(after[k]);
    })
    .sort();
}

/**
 * Whether an approval counts toward the request's current params. Votes from
 * before amendments existed carry no hash: they approved the agent's params,
 * so they count while the request is unamended.
 */
export function approvesCurrentParams(
  v: Pick<Row<"votes">, "decision" | "paramsSha256">,
  r: Pick<Row<"actionRequests">, "paramsSha256" | "originalParamsSha256">,
): boolean {
  if (v.decision !== "approve") return false;
  return v.paramsSha256 === null ? r.originalParamsSha256 === null : v.paramsSha256 === r.paramsSha256;
}
