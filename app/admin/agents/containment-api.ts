"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ContainmentSettings } from "@/lib/containment/rules";
import type { ContainmentView } from "@/lib/containment/view";
import { call } from "../_admin/admin-api";

const URL = "/api/v1/admin/containment";
const KEY = ["admin", "containment"] as const;

export const useContainment = () => useQuery({ queryKey: KEY, queryFn: () => call<ContainmentView>(URL) });

export function useSaveContainment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ContainmentSettings) => call<ContainmentView>(URL, { method: "PUT", json: body }),
    onSuccess: (saved) => client.setQueryData(KEY, saved),
  });
}
