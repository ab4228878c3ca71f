"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { call } from "../_admin/admin-api";

export interface Endpoint {
  id: string;
  url: string;
  description: string;
  event_types: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface Delivery {
  id: string;
  endpoint_id: string | null;
  agent_id: string | null;
  url: string;
  event_type: string;
  request_id: string | null;
  status: "pending" | "failed" | "delivered" | "dead";
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  response_status: number | null;
  created_at: string;
  delivered_at: string | null;
}

const keys = { all: ["admin", "webhooks"] as const, deliveries: ["admin", "webhooks", "deliveries"] as const };
const endpointUrl = (id: string) => `/api/v1/admin/webhooks/${encodeURIComponent(id)}`;

export const useEndpoints = () => useQuery({ queryKey: keys.all, queryFn: () => call<{ data: Endpoint[]; event_types: string[] }>("/api/v1/admin/webhooks") });

/** Delivery history, re-read every few seconds while the page is open (deliveries change on their own). */
export const useDeliveries = () =>
  useQuery({ queryKey: keys.deliveries, queryFn: () => call<{ data: Delivery[] }>("/api/v1/admin/deliveries?limit=50"), refetchInterval: 2000 });

function useWebhookMutation<V, R>(fn: (v: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: fn, onSettled: () => client.invalidateQueries({ queryKey: keys.all }) });
}

export type EndpointInput = { url: string; description: string; event_types: string[] };

export const useCreateEndpoint = () =>
  useWebhookMutation((v: EndpointInput) => call<{ endpoint: Endpoint; secret: string }>("/api/v1/admin/webhooks", { method: "POST", json: v }));
export const useUpdateEndpoint = () =>
  useWebhookMutation(({ id, ...json }: Partial<EndpointInput> & { id: string; enabled?: boolean }) => call<Endpoint>(endpointUrl(id), { method: "PATCH", json }));
export const useRotateSecret = () => useWebhookMutation((id: string) => call<{ secret: string }>(`${endpointUrl(id)}/rotate-secret`, { method: "POST" }));
export const useSendTest = () => useWebhookMutation((id: string) => call<Delivery>(`${endpointUrl(id)}/test`, { method: "POST" }));
export const useRetryDelivery = () =>
  useWebhookMutation((id: string) => call<Delivery>(`/api/v1/admin/deliveries/${encodeURIComponent(id)}/retry`, { method: "POST" }));
