import type { Role as DatabaseRole } from "../generated/kysely/enums.ts";

/**
 * The roles a user can have: the `Role` enum of prisma/schema.prisma, in the
 * order forms offer them. A pure module (the import above is type-only), so
 * browser code may import it too.
 */
export const ROLES = ["admin", "reviewer", "auditor"] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

// Fails to compile when the database enum and ROLES differ.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _rolesMatchDatabase: Same<Role, DatabaseRole> = true;
