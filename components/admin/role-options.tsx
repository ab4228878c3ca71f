import { ROLES } from "@/lib/users/roles";

const LABELS = { admin: "Admin", reviewer: "Reviewer", auditor: "Auditor" } satisfies Record<(typeof ROLES)[number], string>;

/** The `<option>`s of a role `<select>`, one per role. */
export function RoleOptions() {
  return ROLES.map((role) => (
    <option key={role} value={role}>
      {LABELS[role]}
    </option>
  ));
}
