"use client";

import { useState } from "react";
import { AdminTabs } from "@/components/admin/admin-tabs";
import { OneTimeSecret } from "@/components/admin/one-time-secret";
import { RoleOptions } from "@/components/admin/role-options";
import { Button, FormField, inputClass, selectClass } from "@/components/admin/ui";
import type { Role } from "@/lib/users/roles";
import { Card } from "@/components/ui/card";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { Notice } from "@/components/ui/notice";
import { PageHeader } from "@/components/ui/page-header";
import type { AdminScope } from "@/lib/admin-tokens/scopes";
import { useAccess, useCreateAdminToken, useRevokeAdminToken, useSetSsoDefaultRole } from "../_admin/admin-api";
import { ScopePicker } from "./scope-picker";

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "never");

/** Who gets in how: single sign-on's default role, and admin API tokens for automation. */
export function AccessView({ canEdit }: { canEdit: boolean }) {
  const access = useAccess();
  const setRole = useSetSsoDefaultRole();
  const createToken = useCreateAdminToken();
  const revoke = useRevokeAdminToken();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<AdminScope[]>(["admin"]);
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);

  if (access.error && !access.data) return <LoadError what="access settings" message={access.error.message} onRetry={() => void access.refetch()} />;
  if (!access.data) return <ListSkeleton rows={4} />;
  const { sso, tokens } = access.data;

  return (
    <>
      <AdminTabs active="access" readOnly={!canEdit} />
      <PageHeader
        title="Access"
        description="Single sign-on and API tokens for automation: policy as code from CI, provisioning agents, people and webhooks, incident tooling."
      />
      <div className="space-y-6">
        <Card title="Single sign-on">
          <p className="mb-4 text-sm text-zinc-500">
            {sso.enabled
              ? "People who sign in with SSO for the first time get an account with this role."
              : "SSO is not configured (set AUTH_OIDC_ISSUER, AUTH_OIDC_CLIENT_ID and AUTH_OIDC_CLIENT_SECRET). This role will apply once it is."}
          </p>
          <FormField label="Role of new SSO users" htmlFor="sso-role">
            <select
              id="sso-role"
              className={selectClass}
              value={sso.default_role}
              disabled={!canEdit || setRole.isPending}
              onChange={(e) => setRole.mutate(e.target.value as Role)}
            >
              <RoleOptions />
            </select>
          </FormField>
          {setRole.error ? <Notice tone="error">{setRole.error.message}</Notice> : null}
        </Card>

        <Card title="Admin API tokens" aside={<span className="text-xs text-zinc-500">{tokens.filter((t) => !t.revoked_at).length} live</span>}>
          {secret ? (
            <div className="mb-4">
              <OneTimeSecret label={secret.label} value={secret.value} onDone={() => setSecret(null)} />
            </div>
          ) : null}
          {canEdit ? (
            <form
              className="mb-4 space-y-4"
              onSubmit={(e) => {
                e.preventDefault();
                createToken.mutate(
                  { name: name.trim(), scopes },
                  {
                    onSuccess: (r) => {
                      setName("");
                      setScopes(["admin"]);
                      setSecret({ label: `Token for ${name.trim()} (${r.scopes.join(", ")}; shown once)`, value: r.token });
                    },
                  },
                );
              }}
            >
              <FormField label="Name" htmlFor="token-name" hint="Where it is used, e.g. policy-ci">
                <input id="token-name" className={inputClass} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
              </FormField>
              <ScopePicker value={scopes} onChange={setScopes} />
              <Button type="submit" variant="primary" busy={createToken.isPending} disabled={!name.trim() || scopes.length === 0}>
                Create token
              </Button>
              {scopes.length === 0 ? <p className="text-xs text-zinc-500">Choose at least one scope.</p> : null}
            </form>
          ) : null}
          {createToken.error ? <Notice tone="error">{createToken.error.message}</Notice> : null}
          {tokens.length === 0 ? (
            <p className="text-sm text-zinc-500">No tokens yet.</p>
          ) : (
            <ul className="divide-y divide-zinc-100">
              {tokens.map((t) => (
                <li key={t.id} className="flex flex-wrap items-center justify-between gap-3 py-3" data-testid="admin-token">
                  <div className="min-w-0">
                    <p className="text-sm font-medium text-zinc-900">
                      {t.name} <span className="font-mono text-xs text-zinc-500">csa_{t.id}_…</span>
                      {t.revoked_at ? <span className="ml-2 rounded-full bg-zinc-100 px-2 py-0.5 text-xs text-zinc-600">Revoked</span> : null}
                    </p>
                    <p className="mt-1 flex flex-wrap gap-1" data-testid="token-scopes">
                      {t.scopes.map((s) => (
                        <span key={s} className="rounded-full bg-zinc-100 px-2 py-0.5 font-mono text-xs text-zinc-700">
                          {s}
                        </span>
                      ))}
                    </p>
                    <p className="mt-1 text-xs text-zinc-500">
                      Created {when(t.created_at)} by {t.created_by} · last used {when(t.last_used_at)}
                    </p>
                  </div>
                  {canEdit && !t.revoked_at ? (
                    <Button variant="dangerOutline" busy={revoke.isPending && revoke.variables === t.id} onClick={() => revoke.mutate(t.id)}>
                      Revoke
                    </Button>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}
