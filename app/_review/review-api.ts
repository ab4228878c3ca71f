"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { DecisionBody, Problem, RequestObject } from "@/lib/schemas/requests";
import type { NotificationPreferences, NotificationPreferencesUpdate, ReviewItem, ReviewList, ReviewListQuery } from "@/lib/schemas/review";
import type { HistoryFilters } from "../history/filters";
import { useNow } from "@/components/use-now";

/** An RFC 9457 problem from the API; `detail` is written for people. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    /** The problem's field errors (`params.amount` for an edit the rule does not allow). */
    readonly errors?: { path: string; message: string }[],
  ) {
    super(detail);
  }
}

export async function problemFrom(res: Response): Promise<ProblemError> {
  const body = (await res.json().catch(() => null)) as Partial<Problem> | null;
  if (res.status === 401) {
    // The session ended (expired, signed out elsewhere, account disabled).
    window.location.assign("/signin");
  }
  return new ProblemError(res.status, body?.code ?? "error", body?.detail ?? `The server answered ${res.status}.`, body?.errors);
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" });
  if (!res.ok) throw await problemFrom(res);
  return (await res.json()) as T;
}

export const reviewKeys = {
  all: ["review"] as const,
  queue: ["review", "queue"] as const,
  history: (filters: HistoryFilters) => ["review", "history", filters] as const,
  request: (id: string) => ["review", "request", id] as const,
};

export type QueueSort = ReviewListQuery["sort"];

/** The pending queue, newest (or riskiest) first. The server caps a page at 100; the queue is meant to be short. */
export function useQueue(sort: QueueSort = "newest") {
  return useQuery({
    // Under the queue key, so whatever refreshes the queue refreshes both orders.
    queryKey: sort === "risk" ? ([...reviewKeys.queue, "risk"] as const) : reviewKeys.queue,
    queryFn: () => getJson<ReviewList>(`/api/v1/review/requests?status=pending&limit=100${sort === "risk" ? "&sort=risk" : ""}`),
  });
}

/**
 * The queue as it stands this second: a request whose wait ran out leaves at
 * once, before the server's expiry sweep reports it.
 */
export function usePendingRequests(sort: QueueSort = "newest") {
  const query = useQueue(sort);
  const now = useNow();
  const items = query.data ? query.data.data.filter((r) => now === null || new Date(r.expires_at).getTime() > now) : undefined;
  return { ...query, items };
}

export function useReviewRequest(id: string) {
  return useQuery({
    queryKey: reviewKeys.request(id),
    queryFn: () => getJson<ReviewItem>(`/api/v1/review/requests/${encodeURIComponent(id)}`),
    retry: (count, err) => !(err instanceof ProblemError && err.status < 500) && count < 2,
  });
}

export type { HistoryFilters };

/** Decided requests, a page at a time. */
export function useHistory(filters: HistoryFilters) {
  return useInfiniteQuery({
    queryKey: reviewKeys.history(filters),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const q = new URLSearchParams({ limit: "25" });
      q.set("status", filters.status === "all" ? "decided" : filters.status);
      if (filters.action) q.set("action", filters.action);
      if (filters.agent) q.set("agent", filters.agent);
      if (filters.from) q.set("from", filters.from);
      if (filters.to) q.set("to", filters.to);
      if (pageParam) q.set("cursor", pageParam);
      return getJson<ReviewList>(`/api/v1/review/requests?${q}`);
    },
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useDecision(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ decision, reason, params }: { decision: DecisionBody["decision"]; reason: string; params?: Record<string, unknown> }) => {
      const res = await fetch(`/api/v1/requests/${encodeURIComponent(id)}/decisions`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ decision, reason: reason || undefined, params }),
      });
      if (!res.ok) throw await problemFrom(res);
      return (await res.json()) as RequestObject;
    },
    // Success or refusal, what is on screen may be out of date now.
    onSettled: () => client.invalidateQueries({ queryKey: reviewKeys.all }),
  });
}

const preferencesKey = ["me", "notification-preferences"] as const;

export function useNotificationPreferences() {
  return useQuery({ queryKey: preferencesKey, queryFn: () => getJson<NotificationPreferences>("/api/v1/review/notification-preferences") });
}

export function useUpdateNotificationPreferences() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (changes: NotificationPreferencesUpdate) => {
      const res = await fetch("/api/v1/review/notification-preferences", {
        method: "PUT",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(changes),
      });
      if (!res.ok) throw await problemFrom(res);
      return (await res.json()) as NotificationPreferences;
    },
    onSuccess: (saved) => client.setQueryData(preferencesKey, saved),
  });
}
