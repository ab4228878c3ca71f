import "server-only";
import { prisma } from "../db.ts";
import type { Role } from "./roles.ts";

export interface UserSummary {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  /** Local accounts have a password; SSO-only accounts do not. */
  hasPassword: boolean;
  createdAt: Date;
  lastSignInAt: Date | null;
  groups: string[];
}

/** Every account, by email, with its reviewer groups. Never the password hash. */
export async function listUsers(): Promise<UserSummary[]> {
  const users = await prisma().user.findMany({
    orderBy: { email: "asc" },
    select: {
      id: true,
      email: true,
      name: true,
      role: true,
      disabled: true,
      passwordHash: true,
      createdAt: true,
      lastSignInAt: true,
      groups: { select: { group: { select: { name: true } } } },
    },
  });
  return users.map(({ passwordHash, groups, ...u }) => ({
    ...u,
    hasPassword: passwordHash !== null,
    groups: groups.map((g) => g.group.name).sort(),
  }));
}
