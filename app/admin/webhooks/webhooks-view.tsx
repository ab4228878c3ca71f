"use client";

import { useState } from "react";
import { AdminTabs } from "@/components/admin/admin-tabs";
import { OneTimeSecret } from "@/components/admin/one-time-secret";
import { Button, FormField, inputClass, Tags } from "@/components/admin/ui";
import { Card } from "@/components/ui/card";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { Notice } from "@/components/ui/notice";
import { PageHeader } from "@/components/ui/page-header";
import type { DeliveryObject, WebhookEventType, WebhookObject } from "@/lib/schemas/webhooks";
import { useCreateEndpoint, useDeliveries, useEndpoints, useRetryDelivery, useRotateSecret, useSendTest, useUpdateEndpoint } from "./webhooks-api";

const SECRET_NOTE =
  "Shown once: copy it now. Receivers verify each webhook's signature with it (Standard Webhooks); Countersign cannot show it again, only replace it.";

const STATUS_STYLE: Record<DeliveryObject["status"], string> = {
  delivered: "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
  pending: "bg-zinc-100 text-zinc-700 ring-zinc-500/20",
  failed: "bg-amber-50 text-amber-800 ring-amber-600/20",
  dead: "bg-red-50 text-red-700 ring-red-600/20",
};

/** Webhook endpoints (create, edit, enable, test, re-key) and the delivery history with manual retries. */
export function WebhooksView({ canEdit }: { canEdit: boolean }) {
  const endpoints = useEndpoints();
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const [editing, setEditing] = useState<WebhookObject | null>(null);

  if (endpoints.error && !endpoints.data)
    return <LoadError what="webhook endpoints" message={endpoints.error.message} onRetry={() => void endpoints.refetch()} />;
  if (!endpoints.data) return <ListSkeleton rows={4} />;
  const { data, event_types } = endpoints.data;

  return (
    <>
      <AdminTabs active="webhooks" readOnly={!canEdit} />
      <PageHeader
        title="Webhooks"
        description="Signed notifications to chat tools and your own services when requests are created, decided, expire, or agents are stopped."
      />
      <div className="space-y-6">
        {secret ? <OneTimeSecret label={secret.label} value={secret.value} note={SECRET_NOTE} onDone={() => setSecret(null)} /> : null}
        {canEdit ? (
          <EndpointForm
            key={editing?.id ?? "new"}
            eventTypes={event_types}
            editing={editing}
            onCreated={(url, value) => setSecret({ label: `Signing secret for ${url}`, value })}
            onDone={() => setEditing(null)}
          />
        ) : null}
        <Card title="Endpoints" aside={<span className="text-xs text-zinc-500">{data.filter((e) => e.enabled).length} enabled</span>}>
          {data.length === 0 ? (
            <p className="text-sm text-zinc-500">No endpoints yet.</p>
          ) : (
            <ul className="divide-y divide-zinc-100">
              {data.map((e) => (
                <EndpointRow
                  key={e.id}
                  endpoint={e}
                  canEdit={canEdit}
                  onEdit={() => setEditing(e)}
                  onSecret={(value) => setSecret({ label: `New signing secret for ${e.url}`, value })}
                />
              ))}
            </ul>
          )}
        </Card>
        <DeliveryHistory canEdit={canEdit} endpoints={data} />
      </div>
    </>
  );
}

function EndpointForm({
  eventTypes,
  editing,
  onCreated,
  onDone,
}: {
  eventTypes: string[];
  editing: WebhookObject | null;
  onCreated(url: string, secret: string): void;
  onDone(): void;
}) {
  const create = useCreateEndpoint();
  const update = useUpdateEndpoint();
  const [url, setUrl] = useState(editing?.url ?? "");
  const [description, setDescription] = useState(editing?.description ?? "");
  const [types, setTypes] = useState<string[]>(editing?.event_types ?? ["request.created", "request.decided"]);
  const mutation = editing ? update : create;

  return (
    <Card title={editing ? "Edit endpoint" : "Add an endpoint"}>
      <form
        className="space-y-4"
        onSubmit={(ev) => {
          ev.preventDefault();
          // The boxes are the server's own event types (answers type them as strings).
          const input = { url: url.trim(), description: description.trim(), event_types: types as WebhookEventType[] };
          if (editing) update.mutate({ id: editing.id, ...input }, { onSuccess: onDone });
          else
            create.mutate(input, {
              onSuccess: (r) => {
                setUrl("");
                setDescription("");
                onCreated(r.endpoint.url, r.secret);
              },
            });
        }}
      >
        <div className="grid gap-4 sm:grid-cols-2">
          <FormField
            label="URL"
            htmlFor="webhook-url"
            hint="https:// to a public address (private addresses, and plain http to localhost, only where the server allows them)"
          >
            <input
              id="webhook-url"
              type="url"
              required
              className={inputClass}
              value={url}
              maxLength={2048}
              placeholder="https://hooks.example.com/countersign"
              onChange={(e) => setUrl(e.target.value)}
            />
          </FormField>
          <FormField label="Description" htmlFor="webhook-description" hint="Where it goes, e.g. #approvals in Slack">
            <input id="webhook-description" className={inputClass} value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} />
          </FormField>
        </div>
        <fieldset>
          <legend className="mb-1.5 text-sm font-medium text-zinc-800">Events</legend>
          <div className="grid gap-x-4 gap-y-1.5 sm:grid-cols-2 lg:grid-cols-3">
            {eventTypes.map((t) => (
              <label key={t} className="flex items-center gap-2 text-sm text-zinc-700">
                <input
                  type="checkbox"
                  className="size-4 rounded border-zinc-300"
                  checked={types.includes(t)}
                  onChange={(e) => setTypes(e.target.checked ? [...types, t] : types.filter((x) => x !== t))}
                />
                <span className="font-mono text-xs">{t}</span>
              </label>
            ))}
          </div>
        </fieldset>
        {mutation.error ? <Notice tone="error">{mutation.error.message}</Notice> : null}
        <div className="flex gap-2">
          <Button type="submit" variant="primary" busy={mutation.isPending} disabled={!url.trim() || types.length === 0}>
            {editing ? "Save" : "Add endpoint"}
          </Button>
          {editing ? <Button onClick={onDone}>Cancel</Button> : null}
        </div>
      </form>
    </Card>
  );
}

function EndpointRow({
  endpoint: e,
  canEdit,
  onEdit,
  onSecret,
}: {
  endpoint: WebhookObject;
  canEdit: boolean;
  onEdit(): void;
  onSecret(secret: string): void;
}) {
  const update = useUpdateEndpoint();
  const rotate = useRotateSecret();
  const test = useSendTest();
  const error = update.error ?? rotate.error ?? test.error;
  return (
    <li className="py-3" data-testid="webhook-endpoint">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="break-all font-mono text-sm text-zinc-900">
            {e.url}
            {e.enabled ? null : <span className="ml-2 rounded-full bg-zinc-100 px-2 py-0.5 font-sans text-xs text-zinc-600">Disabled</span>}
          </p>
          {e.description ? <p className="text-sm text-zinc-600">{e.description}</p> : null}
          <div className="mt-1.5">
            <Tags tags={e.event_types} />
          </div>
        </div>
        {canEdit ? (
          <div className="flex flex-wrap gap-2">
            <Button
              busy={test.isPending}
              disabled={!e.enabled}
              title={e.enabled ? undefined : "Enable the endpoint to test it"}
              onClick={() => test.mutate(e.id)}
            >
              Send test
            </Button>
            <Button onClick={onEdit}>Edit</Button>
            <Button busy={update.isPending} onClick={() => update.mutate({ id: e.id, enabled: !e.enabled })}>
              {e.enabled ? "Disable" : "Enable"}
            </Button>
            <Button busy={rotate.isPending} onClick={() => rotate.mutate(e.id, { onSuccess: (r) => onSecret(r.secret) })}>
              Rotate secret
            </Button>
          </div>
        ) : null}
      </div>
      {test.isSuccess ? <p className="mt-2 text-xs text-zinc-500">Test event queued; see the delivery history below.</p> : null}
      {error ? <Notice tone="error">{error.message}</Notice> : null}
    </li>
  );
}

function DeliveryHistory({ canEdit, endpoints }: { canEdit: boolean; endpoints: WebhookObject[] }) {
  const deliveries = useDeliveries();
  const retry = useRetryDelivery();
  const target = (d: DeliveryObject) =>
    d.endpoint_id
      ? endpoints.find((e) => e.id === d.endpoint_id)?.description || d.url
      : d.url.startsWith("mailto:")
        ? `email · ${d.url.slice(7)}`
        : `callback · ${d.url}`;
  return (
    <Card title="Delivery history" aside={<span className="text-xs text-zinc-500">latest 50 · at-least-once, deduplicate by webhook-id</span>}>
      {deliveries.error && !deliveries.data ? <Notice tone="error">{deliveries.error.message}</Notice> : null}
      {!deliveries.data ? (
        <ListSkeleton rows={3} />
      ) : deliveries.data.data.length === 0 ? (
        <p className="text-sm text-zinc-500">Nothing sent yet.</p>
      ) : (
        <ul className="divide-y divide-zinc-100">
          {deliveries.data.data.map((d) => (
            <li key={d.id} className="flex flex-wrap items-center justify-between gap-3 py-2.5" data-testid="delivery">
              <div className="min-w-0 flex-1">
                <p className="flex flex-wrap items-center gap-2 text-sm">
                  <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${STATUS_STYLE[d.status]}`} data-testid="delivery-status">
                    {d.status}
                  </span>
                  <span className="font-mono text-xs text-zinc-900">{d.event_type}</span>
                  <span className="min-w-0 truncate text-xs text-zinc-500">{target(d)}</span>
                </p>
                <p className="mt-0.5 text-xs text-zinc-500">
                  {new Date(d.created_at).toLocaleString()} · {d.attempts} {d.attempts === 1 ? "attempt" : "attempts"}
                  {d.response_status ? ` · HTTP ${d.response_status}` : ""}
                  {d.status === "failed" && d.next_attempt_at ? ` · next ${new Date(d.next_attempt_at).toLocaleTimeString()}` : ""}
                  {d.last_error && d.status !== "delivered" ? <span className="text-red-700"> · {d.last_error}</span> : null}
                </p>
              </div>
              {canEdit && (d.status === "failed" || d.status === "dead") ? (
                <Button busy={retry.isPending && retry.variables === d.id} onClick={() => retry.mutate(d.id)}>
                  Retry
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {retry.error ? <Notice tone="error">{retry.error.message}</Notice> : null}
    </Card>
  );
}
