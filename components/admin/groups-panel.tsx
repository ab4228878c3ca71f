"use client";

import { useState } from "react";
import { Card } from "../ui/card";
import { XIcon } from "../ui/icons";
import { Notice } from "../ui/notice";
import type { GroupObject, UserObject } from "@/lib/schemas/admin-objects";
import { Button, inputClass } from "./ui";

interface GroupsPanelProps {
  groups: GroupObject[];
  users: UserObject[];
  canEdit: boolean;
  busy: boolean;
  error: string | null;
  onCreate(name: string): void;
  onAdd(group: string, userId: string): void;
  onRemove(group: string, userId: string): void;
}

/** Reviewer groups (what policy rules name as reviewers) and their members. */
export function GroupsPanel({ groups, users, canEdit, busy, error, onCreate, onAdd, onRemove }: GroupsPanelProps) {
  const [name, setName] = useState("");
  return (
    <div className="space-y-4" data-testid="groups">
      {canEdit ? (
        <form
          className="flex gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) onCreate(name.trim().toLowerCase());
            setName("");
          }}
        >
          <label htmlFor="new-group" className="sr-only">
            New group name
          </label>
          <input
            id="new-group"
            value={name}
            onChange={(e) => setName(e.target.value)}
            pattern="[a-z0-9][a-z0-9_\-]{0,63}"
            placeholder="new-group-name"
            className={`${inputClass} h-9 py-1`}
          />
          <Button type="submit" variant="primary" busy={busy}>
            Create group
          </Button>
        </form>
      ) : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {groups.length === 0 ? <p className="text-sm text-zinc-500">No groups yet. Rules without groups may be decided by any reviewer.</p> : null}
      {groups.map((g) => (
        <GroupCard key={g.id} group={g} users={users} canEdit={canEdit} busy={busy} onAdd={onAdd} onRemove={onRemove} />
      ))}
    </div>
  );
}

function GroupCard({
  group,
  users,
  canEdit,
  busy,
  onAdd,
  onRemove,
}: {
  group: GroupObject;
  users: UserObject[];
  canEdit: boolean;
  busy: boolean;
  onAdd(g: string, u: string): void;
  onRemove(g: string, u: string): void;
}) {
  const [pick, setPick] = useState("");
  const candidates = users.filter((u) => !group.members.some((m) => m.id === u.id));
  return (
    <Card
      title={<span className="font-mono">{group.name}</span>}
      aside={
        <span className="text-xs text-zinc-500">
          {group.members.length} {group.members.length === 1 ? "member" : "members"}
        </span>
      }
    >
      <div data-testid="group" data-group={group.name} className="space-y-3">
        {group.members.length ? (
          <ul className="flex flex-wrap gap-1.5">
            {group.members.map((m) => (
              <li key={m.id} className="inline-flex items-center gap-1 rounded-full bg-zinc-100 py-0.5 pr-1 pl-2.5 text-xs text-zinc-800">
                {m.email}
                {canEdit ? (
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => onRemove(group.name, m.id)}
                    aria-label={`Remove ${m.email} from ${group.name}`}
                    className="rounded-full p-0.5 text-zinc-400 hover:bg-zinc-200 hover:text-zinc-700"
                  >
                    <XIcon className="size-3" />
                  </button>
                ) : (
                  <span className="w-1" />
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-zinc-500">No members.</p>
        )}
        {canEdit && candidates.length ? (
          <form
            className="flex gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              if (pick) onAdd(group.name, pick);
              setPick("");
            }}
          >
            <label className="sr-only" htmlFor={`add-${group.id}`}>
              Add a member to {group.name}
            </label>
            <select id={`add-${group.id}`} value={pick} onChange={(e) => setPick(e.target.value)} className={`${inputClass} h-9 py-1`}>
              <option value="">Add a member…</option>
              {candidates.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
            </select>
            <Button type="submit" disabled={!pick || busy}>
              Add
            </Button>
          </form>
        ) : null}
      </div>
    </Card>
  );
}
