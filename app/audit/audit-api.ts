"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type {
  AuditCheckpointList,
  AuditEventList,
  AuditEventObject,
  AuditRetentionApplied,
  AuditRetentionObject,
  ChainVerificationObject,
  CreatedCheckpoint,
} from "@/lib/schemas/audit";
import type { Problem } from "@/lib/schemas/requests";
import { call } from "../admin/_admin/admin-api";

/** The filters as the API's query: datetime-local values are the browser's local time, sent as UTC instants. */
export function filterQuery(f: Record<string, string>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    const value = v.trim();
    if (!value) continue;
    q.set(k, k === "since" || k === "until" ? new Date(value).toISOString() : value);
  }
  return q;
}

export const useAuditEvents = (query: string) =>
  useInfiniteQuery({
    queryKey: ["audit", "events", query],
    initialPageParam: "",
    queryFn: ({ pageParam }) =>
      call<AuditEventList>(`/api/v1/admin/audit/events?${query}${query ? "&" : ""}limit=50${pageParam ? `&cursor=${pageParam}` : ""}`),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

export const useAuditEvent = (seq: number | null) =>
  useQuery({ queryKey: ["audit", "event", seq], enabled: seq !== null, queryFn: () => call<AuditEventObject>(`/api/v1/admin/audit/events/${seq}`) });

export const useCheckpoints = () =>
  useQuery({ queryKey: ["audit", "checkpoints"], queryFn: () => call<AuditCheckpointList>("/api/v1/admin/audit/checkpoints") });

/** Verifies the chain, following its progress: the server streams a line per batch, then the result. */
export async function verifyWithProgress(onProgress: (p: { verified: number; head_seq: number }) => void): Promise<ChainVerificationObject> {
  const res = await fetch("/api/v1/admin/audit/verify", { method: "POST", headers: { accept: "application/x-ndjson" }, cache: "no-store" });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => null)) as Partial<Problem> | null;
    throw new Error(body?.detail ?? `The server answered ${res.status}.`);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += value;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const message = JSON.parse(buffered.slice(0, newline)) as { progress?: { verified: number; head_seq: number }; result?: ChainVerificationObject };
      buffered = buffered.slice(newline + 1);
      if (message.progress) onProgress(message.progress);
      if (message.result) return message.result;
    }
  }
  throw new Error("The verification stopped before it finished.");
}

export const useCreateCheckpoint = () => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call<CreatedCheckpoint>("/api/v1/admin/audit/checkpoints", { method: "POST" }),
    onSettled: () => client.invalidateQueries({ queryKey: ["audit", "checkpoints"] }),
  });
};

/** Saves text as a file through a temporary object URL. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Downloads an export, reading the streamed body chunk by chunk so the page
 * can show bytes and rows as they arrive, then saves it under the server's name.
 */
export async function streamExport(
  query: string,
  format: "jsonl" | "csv",
  onProgress: (p: { bytes: number; rows: number }) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(`/api/v1/admin/audit/export?${query}${query ? "&" : ""}format=${format}`, { signal, cache: "no-store" });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => null)) as Partial<Problem> | null;
    throw new Error(body?.detail ?? `The server answered ${res.status}.`);
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let bytes = 0;
  let newlines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value as Uint8Array<ArrayBuffer>);
    bytes += value.byteLength;
    for (const b of value) if (b === 10) newlines++;
    onProgress({ bytes, rows: format === "csv" ? Math.max(0, newlines - 1) : newlines });
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? `countersign-audit.${format}`;
  saveBlob(new Blob(chunks, { type: res.headers.get("content-type") ?? "application/octet-stream" }), name);
}

const retentionKey = ["audit", "retention"] as const;

export const useRetention = () => useQuery({ queryKey: retentionKey, queryFn: () => call<AuditRetentionObject>("/api/v1/admin/audit/retention") });

export const useSetRetention = () => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (days: number | null) => call<AuditRetentionObject>("/api/v1/admin/audit/retention", { method: "PUT", json: { days } }),
    onSuccess: (saved) => client.setQueryData(retentionKey, saved),
  });
};

export const useApplyRetention = () => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call<AuditRetentionApplied>("/api/v1/admin/audit/retention/apply", { method: "POST" }),
    onSettled: () => client.invalidateQueries({ queryKey: ["audit"] }),
  });
};
