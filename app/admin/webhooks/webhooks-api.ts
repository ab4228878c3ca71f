"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type {
  CreatedWebhook,
  CreateWebhookBody,
  DeliveryList,
  DeliveryObject,
  RotatedSecret,
  UpdateWebhookBody,
  WebhookList,
  WebhookObject,
} from "@/lib/schemas/webhooks";
import { call } from "../_admin/admin-api";

const keys = { all: ["admin", "webhooks"] as const, deliveries: ["admin", "webhooks", "deliveries"] as const };
const endpointUrl = (id: string) => `/api/v1/admin/webhooks/${encodeURIComponent(id)}`;

export const useEndpoints = () => useQuery({ queryKey: keys.all, queryFn: () => call<WebhookList>("/api/v1/admin/webhooks") });

/** Delivery history, re-read every few seconds while the page is open (deliveries change on their own). */
export const useDeliveries = () =>
  useQuery({ queryKey: keys.deliveries, queryFn: () => call<DeliveryList>("/api/v1/admin/deliveries?limit=50"), refetchInterval: 2000 });

function useWebhookMutation<V, R>(fn: (v: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: fn, onSettled: () => client.invalidateQueries({ queryKey: keys.all }) });
}

export const useCreateEndpoint = () =>
  useWebhookMutation((v: CreateWebhookBody) => call<CreatedWebhook>("/api/v1/admin/webhooks", { method: "POST", json: v }));
export const useUpdateEndpoint = () =>
  useWebhookMutation(({ id, ...json }: UpdateWebhookBody & { id: string }) => call<WebhookObject>(endpointUrl(id), { method: "PATCH", json }));
export const useRotateSecret = () => useWebhookMutation((id: string) => call<RotatedSecret>(`${endpointUrl(id)}/rotate-secret`, { method: "POST" }));
export const useSendTest = () => useWebhookMutation((id: string) => call<DeliveryObject>(`${endpointUrl(id)}/test`, { method: "POST" }));
export const useRetryDelivery = () =>
  useWebhookMutation((id: string) => call<DeliveryObject>(`/api/v1/admin/deliveries/${encodeURIComponent(id)}/retry`, { method: "POST" }));
