import "server-only";
import { jsonArrayFrom } from "kysely/helpers/postgres";
import { appendEvents } from "../audit/append-event.ts";
import { refreshUserSessions } from "../auth/sessions.ts";
import { db, transact, type Trx } from "../db.ts";
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import { lockUser, type UserRef } from "./find-user.ts";

/** Group names are what policy rules name in `reviewers.groups`. */
export const GROUP_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export type GroupSummary = Awaited<ReturnType<typeof listGroups>>[number];

/** Every reviewer group with its members, by name. */
export async function listGroups() {
  const groups = await db()
    .selectFrom("groups as g")
    .select((eb) => [
      "g.id",
      "g.name",
      "g.createdAt",
      jsonArrayFrom(
        eb
          .selectFrom("groupMembers as m")
          .innerJoin("users as u", "u.id", "m.userId")
          .select(["u.id", "u.email", "u.name", "u.role", "u.disabled"])
          .whereRef("m.groupId", "=", "g.id"),
      ).as("members"),
    ])
    .orderBy("g.name")
    .execute();
  for (const g of groups) g.members.sort((a, b) => a.email.localeCompare(b.email));
  return groups;
}

function checkName(name: string): string {
  const n = name.trim().toLowerCase();
  if (!GROUP_NAME.test(n)) {
    throw new AppError("validation_failed", "group names use a-z, 0-9, - and _ (at most 64)", { errors: [{ path: "name", message: "invalid group name" }] });
  }
  return n;
}

async function insertGroup(trx: Trx, name: string, actor: string): Promise<{ id: string; name: string }> {
  // Group ids share the time-ordered id format; `grp_` names the type.
  const id = `grp_${newId("usr").slice(4)}`;
  await trx.insertInto("groups").values({ id, name }).execute();
  await appendEvents(trx, [{ type: "group.created", actor, data: { group_id: id, name } }]);
  return { id, name };
}

function findGroup(trx: Trx, name: string) {
  return trx.selectFrom("groups").select(["id", "name"]).where("name", "=", name).executeTakeFirst();
}

export async function createGroup(o: { name: string; actor: string }): Promise<{ id: string; name: string }> {
  const name = checkName(o.name);
  return transact(async (trx) => {
    if (await findGroup(trx, name)) throw new AppError("conflict", `a group named ${name} already exists`);
    return insertGroup(trx, name, o.actor);
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
    return await transact(async (trx) => {
      const user = await lockUser(trx, o);
      const group = (await findGroup(trx, name)) ?? (o.createGroup ? await insertGroup(trx, name, o.actor) : null);
      if (!group) throw new AppError("not_found", `no group named ${name}`);
      const added = await trx
        .insertInto("groupMembers")
        .values({ groupId: group.id, userId: user.id })
        .onConflict((oc) => oc.columns(["groupId", "userId"]).doNothing())
        .returning("userId")
        .executeTakeFirst();
      if (!added) return { groupId: group.id, userId: user.id, changed: false };
      // What the user's live stream may show changed.
      refreshUserSessions(trx, user.id);
      await appendEvents(trx, [
        {
          type: "group.member_added",
          actor: o.actor,
          data: { group_id: group.id, group: name, user_id: user.id, email: user.email, before: { member: false }, after: { member: true } },
        },
      ]);
      return { groupId: group.id, userId: user.id, changed: true };
    });
  } catch (err) {
    // Two first additions to a new group raced to create it: the loser tries once more.
    if ((err as { code?: string }).code === "23505" && o.createGroup) return addGroupMember({ ...o, createGroup: false });
    throw err;
  }
}

export async function removeGroupMember(o: UserRef & { group: string; actor: string }): Promise<{ changed: boolean }> {
  const name = checkName(o.group);
  return transact(async (trx) => {
    const user = await lockUser(trx, o);
    const group = await findGroup(trx, name);
    if (!group) throw new AppError("not_found", `no group named ${name}`);
    const { numDeletedRows } = await trx.deleteFrom("groupMembers").where("groupId", "=", group.id).where("userId", "=", user.id).executeTakeFirst();
    if (numDeletedRows === 0n) return { changed: false };
    refreshUserSessions(trx, user.id);
    await appendEvents(trx, [
      {
        type: "group.member_removed",
        actor: o.actor,
        data: { group_id: group.id, group: name, user_id: user.id, email: user.email, before: { member: true }, after: { member: false } },
      },
    ]);
    return { changed: true };
  });
}
