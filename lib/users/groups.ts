import "server-only";
import { appendEvent } from "../audit/append-event.ts";
import { refreshUserSessions } from "../auth/sessions.ts";
import { prisma, type Tx, prismaTransact } from "../db.ts";
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import { lockUser, type UserRef } from "./find-user.ts";

/** Group names are what policy rules name in `reviewers.groups`. */
export const GROUP_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface GroupSummary {
  id: string;
  name: string;
  createdAt: Date;
  members: { id: string; email: string; name: string | null; role: string; disabled: boolean }[];
}

/** Every reviewer group with its members, by name. */
export async function listGroups(): Promise<GroupSummary[]> {
  const groups = await prisma().group.findMany({
    orderBy: { name: "asc" },
    include: { members: { include: { user: { select: { id: true, email: true, name: true, role: true, disabled: true } } } } },
  });
  return groups.map((g) => ({
    id: g.id,
    name: g.name,
    createdAt: g.createdAt,
    members: g.members.map((m) => m.user).sort((a, b) => a.email.localeCompare(b.email)),
  }));
}

function checkName(name: string): string {
  const n = name.trim().toLowerCase();
  if (!GROUP_NAME.test(n)) {
    throw new AppError("validation_failed", "group names use a-z, 0-9, - and _ (at most 64)", { errors: [{ path: "name", message: "invalid group name" }] });
  }
  return n;
}

async function insertGroup(tx: Tx, name: string, actor: string): Promise<{ id: string; name: string }> {
  // Group ids share the time-ordered id format; `grp_` names the type.
  const id = `grp_${newId("usr").slice(4)}`;
  await tx.group.create({ data: { id, name } });
  await appendEvent(tx, { type: "group.created", actor, data: { group_id: id, name } });
  return { id, name };
}

export async function createGroup(o: { name: string; actor: string }): Promise<{ id: string; name: string }> {
  const name = checkName(o.name);
  return prismaTransact(async (tx) => {
    if (await tx.group.findUnique({ where: { name } })) throw new AppError("conflict", `a group named ${name} already exists`);
    return insertGroup(tx, name, o.actor);
  });
}

export type GroupMemberOptions = UserRef & {
  group: string;
  actor: string;
  /** Create the group when it does not exist yet (the CLI's `groups add`). */
  createGroup?: boolean;
};

/** Puts a user in a reviewer group. Already a member: nothing changes. */
export async function addGroupMember(o: GroupMemberOptions): Promise<{ groupId: string; userId: string; changed: boolean }> {
  const name = checkName(o.group);
  try {
    return await prismaTransact(async (tx) => {
      const user = await lockUser(tx, o);
      const group = (await tx.group.findUnique({ where: { name } })) ?? (o.createGroup ? await insertGroup(tx, name, o.actor) : null);
      if (!group) throw new AppError("not_found", `no group named ${name}`);
      const existing = await tx.groupMember.findUnique({ where: { groupId_userId: { groupId: group.id, userId: user.id } } });
      if (existing) return { groupId: group.id, userId: user.id, changed: false };
      await tx.groupMember.create({ data: { groupId: group.id, userId: user.id } });
      // What the user's live stream may show changed.
      await refreshUserSessions(tx, user.id);
      await appendEvent(tx, {
        type: "group.member_added",
        actor: o.actor,
        data: { group_id: group.id, group: name, user_id: user.id, email: user.email, before: { member: false }, after: { member: true } },
      });
      return { groupId: group.id, userId: user.id, changed: true };
    });
  } catch (err) {
    // Two first additions to a new group raced to create it: the loser tries once more.
    if ((err as { code?: string }).code === "P2002" && o.createGroup) return addGroupMember({ ...o, createGroup: false });
    throw err;
  }
}

export async function removeGroupMember(o: UserRef & { group: string; actor: string }): Promise<{ changed: boolean }> {
  const name = checkName(o.group);
  return prismaTransact(async (tx) => {
    const user = await lockUser(tx, o);
    const group = await tx.group.findUnique({ where: { name } });
    if (!group) throw new AppError("not_found", `no group named ${name}`);
    const { count } = await tx.groupMember.deleteMany({ where: { groupId: group.id, userId: user.id } });
    if (count === 0) return { changed: false };
    await refreshUserSessions(tx, user.id);
    await appendEvent(tx, {
      type: "group.member_removed",
      actor: o.actor,
      data: { group_id: group.id, group: name, user_id: user.id, email: user.email, before: { member: true }, after: { member: false } },
    });
    return { changed: true };
  });
}
