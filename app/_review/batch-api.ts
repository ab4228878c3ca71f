"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { BatchDecisionBody } from "@/lib/schemas/review";
import type { Problem, RequestObject } from "@/lib/schemas/requests";
import { problemFrom, reviewKeys } from "./review-api";

export interface BatchItemResult {
  id: string;
  status: number;
  request?: RequestObject;
  problem?: Problem;
}

/** POST /api/v1/review/decisions: one decision for several requests; a result per request, in order. */
export function useBatchDecision() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: BatchDecisionBody) => {
      const res = await fetch("/api/v1/review/decisions", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ ...body, reason: body.reason || undefined }),
      });
      if (!res.ok) throw await problemFrom(res);
      return ((await res.json()) as { results: BatchItemResult[] }).results;
    },
    onSettled: () => client.invalidateQueries({ queryKey: reviewKeys.all }),
  });
}
