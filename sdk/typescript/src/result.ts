import { CountersignError } from "./errors.js";
import type { ApprovalRequest, ApprovalResult } from "./types.js";

/** The result a request in `status` stands for. */
export function toResult(request: ApprovalRequest): ApprovalResult {
  switch (request.status) {
    case "approved": {
      const g = request.grant;
      if (!g) {
        throw new CountersignError({
          type: "about:blank",
          title: "Unexpected response",
          status: 200,
          code: "unexpected_response",
          detail: `request ${request.id} is approved but carries no grant`,
        });
      }
      // A missing token is not a refusal: the grant was redeemed already (a
      // replayed idempotency key after the work was done), or it expired or
      // was revoked before this read. Approved it stays; the caller sees
      // `token: null` and cannot redeem.
      const original = request.original_params ?? null;
      return {
        status: "approved",
        request,
        grant: { id: g.id, token: g.token ?? null, expires_at: g.expires_at, redeemed_at: g.redeemed_at },
        params: request.params,
        amended: original !== null,
        original_params: original,
      };
    }
    case "denied":
      return { status: "denied", request, reason: request.decision?.reason ?? null };
    case "expired":
    case "cancelled":
    case "pending":
      return { status: request.status, request };
  }
  throw new CountersignError({
    type: "about:blank",
    title: "Unexpected response",
    status: 200,
    code: "unexpected_response",
    detail: `request ${(request as { id?: string }).id} has an unknown status ${JSON.stringify((request as { status?: unknown }).status)}`,
  });
}
