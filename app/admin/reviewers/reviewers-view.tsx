"use client";

import { useState } from "react";
import { AdminTabs } from "@/components/admin/admin-tabs";
import { GroupsPanel } from "@/components/admin/groups-panel";
import { InviteForm } from "@/components/admin/invite-form";
import { OneTimeSecret } from "@/components/admin/one-time-secret";
import { Button } from "@/components/admin/ui";
import { UsersTable } from "@/components/admin/users-table";
import { Card } from "@/components/ui/card";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { Notice } from "@/components/ui/notice";
import { PageHeader } from "@/components/ui/page-header";
import { useGroupChange, useGroups, useInviteUser, useResetPassword, useUpdateUser, useUsers } from "../_admin/admin-api";

/** People and reviewer groups. */
export function ReviewersView({ canEdit, selfId }: { canEdit: boolean; selfId: string }) {
  const users = useUsers();
  const groups = useGroups();
  const updateUser = useUpdateUser();
  const invite = useInviteUser();
  const reset = useResetPassword();
  const groupChange = useGroupChange();
  const [inviting, setInviting] = useState(false);
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);

  const busyUserId = updateUser.isPending ? (updateUser.variables?.id ?? null) : reset.isPending ? (reset.variables ?? null) : null;
  const userError = updateUser.error?.message ?? reset.error?.message ?? null;

  return (
    <>
      <AdminTabs active="reviewers" readOnly={!canEdit} />
      <PageHeader title="Reviewers" description="Who signs in, with which role, and the groups that policy rules route requests to.">
        {canEdit && !inviting ? (
          <Button
            variant="primary"
            onClick={() => {
              invite.reset();
              setInviting(true);
              setSecret(null);
            }}
          >
            Invite person
          </Button>
        ) : null}
      </PageHeader>
      <div className="space-y-6">
        {secret ? <OneTimeSecret label={secret.label} value={secret.value} onDone={() => setSecret(null)} /> : null}
        {inviting ? (
          <Card title="Invite a person (local account)">
            <p className="mb-4 text-sm text-zinc-500">
              Countersign creates the account and shows a one-time password once, for you to hand over. Single sign-on users appear on their first sign-in
              instead.
            </p>
            <InviteForm
              busy={invite.isPending}
              error={invite.error?.message ?? null}
              onCancel={() => setInviting(false)}
              onSubmit={(v) =>
                invite.mutate(v, {
                  onSuccess: (r) => {
                    setInviting(false);
                    setSecret({ label: `One-time password for ${r.user.email}`, value: r.password });
                  },
                })
              }
            />
          </Card>
        ) : null}

        <section className="space-y-3">
          <h2 className="text-sm font-semibold text-zinc-900">People</h2>
          {userError ? <Notice tone="error">{userError}</Notice> : null}
          {users.error && !users.data ? (
            <LoadError what="the users" message={users.error.message} onRetry={() => void users.refetch()} />
          ) : !users.data ? (
            <ListSkeleton rows={3} />
          ) : (
            <UsersTable
              users={users.data.data}
              selfId={selfId}
              canEdit={canEdit}
              busyUserId={busyUserId}
              onRole={(u, role) => updateUser.mutate({ id: u.id, role })}
              onDisabled={(u, disabled) => updateUser.mutate({ id: u.id, disabled })}
              onResetPassword={(u) => reset.mutate(u.id, { onSuccess: (r) => setSecret({ label: `New one-time password for ${u.email}`, value: r.password }) })}
            />
          )}
        </section>

        <section className="space-y-3">
          <h2 className="text-sm font-semibold text-zinc-900">Groups</h2>
          {groups.error && !groups.data ? (
            <LoadError what="the groups" message={groups.error.message} onRetry={() => void groups.refetch()} />
          ) : !groups.data || !users.data ? (
            <ListSkeleton rows={2} />
          ) : (
            <GroupsPanel
              groups={groups.data.data}
              users={users.data.data}
              canEdit={canEdit}
              busy={groupChange.isPending}
              error={groupChange.error?.message ?? null}
              onCreate={(name) => groupChange.mutate({ op: "create", name })}
              onAdd={(group, userId) => groupChange.mutate({ op: "add", group, userId })}
              onRemove={(group, userId) => groupChange.mutate({ op: "remove", group, userId })}
            />
          )}
        </section>
      </div>
    </>
  );
}
