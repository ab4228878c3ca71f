"use client";

import { useState } from "react";
import { Notice } from "../ui/notice";
import type { Role } from "@/lib/users/roles";
import { RoleOptions } from "./role-options";
import { Button, FormField, inputClass } from "./ui";

/** Invite a local account: the server answers a one-time password to hand over. */
export function InviteForm({
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  busy: boolean;
  error: string | null;
  onSubmit(v: { email: string; name: string; role: Role }): void;
  onCancel(): void;
}) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("reviewer");
  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit({ email: email.trim(), name: name.trim(), role });
      }}
    >
      <div className="grid gap-4 sm:grid-cols-3">
        <FormField label="Email" htmlFor="invite-email">
          <input id="invite-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} className={inputClass} autoComplete="off" />
        </FormField>
        <FormField label="Name" htmlFor="invite-name">
          <input id="invite-name" value={name} onChange={(e) => setName(e.target.value)} className={inputClass} maxLength={200} />
        </FormField>
        <FormField label="Role" htmlFor="invite-role">
          <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)} className={inputClass}>
            <RoleOptions />
          </select>
        </FormField>
      </div>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <div className="flex justify-end gap-2">
        <Button onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" busy={busy}>
          Create account
        </Button>
      </div>
    </form>
  );
}
