"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { call } from "../_admin/admin-api";

export interface RequestRate {
  max_requests: number;
  window_seconds: number;
}

export interface DenialRate {
  max_ratio: number;
  min_decisions: number;
  window_seconds: number;
}

export interface Containment {
  enabled: boolean;
  request_rate: RequestRate | null;
  denial_rate: DenialRate | null;
  agents: { names: string[]; tags: string[] } | null;
  updated_at: string | null;
}

export type ContainmentBody = Pick<Containment, "request_rate" | "denial_rate"> & { agents: { names: string[]; tags: string[] } | null };

const URL = "/api/v1/admin/containment";
const KEY = ["admin", "containment"] as const;

export const useContainment = () => useQuery({ queryKey: KEY, queryFn: () => call<Containment>(URL) });

export function useSaveContainment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ContainmentBody) => call<Containment>(URL, { method: "PUT", json: body }),
    onSuccess: (saved) => client.setQueryData(KEY, saved),
  });
}
