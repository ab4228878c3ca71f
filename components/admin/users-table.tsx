import { formatShortDateTime } from "../format";
import type { UserObject } from "@/lib/schemas/admin-objects";
import type { Role } from "@/lib/users/roles";
import { RoleOptions } from "./role-options";
import { Button, selectClass } from "./ui";

interface UsersTableProps {
  users: UserObject[];
  /** The signed-in admin: they cannot disable themselves. */
  selfId: string;
  canEdit: boolean;
  busyUserId: string | null;
  onRole(user: UserObject, role: Role): void;
  onDisabled(user: UserObject, disabled: boolean): void;
  onResetPassword(user: UserObject): void;
}

/** People who sign in: role, status, groups; admins change roles and disable accounts here. */
export function UsersTable({ users, selfId, canEdit, busyUserId, onRole, onDisabled, onResetPassword }: UsersTableProps) {
  return (
    <ul className="divide-y divide-zinc-100 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-xs" data-testid="user-list">
      {users.map((u) => (
        <li key={u.id} data-testid="user-row" data-user-id={u.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3 sm:px-5">
          <div className="min-w-0 flex-1 basis-56">
            <p className="flex flex-wrap items-center gap-2">
              <span className="truncate text-sm font-medium text-zinc-900">{u.email}</span>
              {u.disabled ? (
                <span className="rounded-full bg-red-50 px-2 py-0.5 text-xs font-medium text-red-800 ring-1 ring-inset ring-red-600/20">Disabled</span>
              ) : null}
              {u.id === selfId ? <span className="text-xs text-zinc-400">(you)</span> : null}
            </p>
            <p className="mt-0.5 text-xs text-zinc-500">
              {u.name ? `${u.name} · ` : ""}
              {u.local_account ? "local account" : "single sign-on"}
              {" · "}
              {u.last_sign_in_at ? `signed in ${formatShortDateTime(u.last_sign_in_at)}` : "never signed in"}
              {u.groups.length ? ` · ${u.groups.join(", ")}` : ""}
            </p>
          </div>
          <div className="flex flex-wrap items-center gap-2">
            <label className="sr-only" htmlFor={`role-${u.id}`}>
              Role of {u.email}
            </label>
            <select
              id={`role-${u.id}`}
              value={u.role}
              disabled={!canEdit || busyUserId === u.id}
              onChange={(e) => onRole(u, e.target.value as Role)}
              className={selectClass}
            >
              <RoleOptions />
            </select>
            {canEdit ? (
              <>
                {u.local_account && u.id !== selfId ? (
                  <Button disabled={busyUserId === u.id} onClick={() => onResetPassword(u)}>
                    Reset password
                  </Button>
                ) : null}
                {u.id !== selfId ? (
                  <Button variant={u.disabled ? "secondary" : "dangerOutline"} disabled={busyUserId === u.id} onClick={() => onDisabled(u, !u.disabled)}>
                    {u.disabled ? "Enable" : "Disable"}
                  </Button>
                ) : null}
              </>
            ) : null}
          </div>
        </li>
      ))}
    </ul>
  );
}
