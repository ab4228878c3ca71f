import { ADMIN_SCOPES } from "../admin-tokens/scopes.ts";
import { ROLES } from "../users/roles.ts";
import { text } from "./json.ts";
import { z } from "./zod.ts";

// Bodies of the admin endpoints (agents, keys, users, groups, access). Unknown fields are refused.

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+$/, "must be an email address");
const tag = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "tags use letters, digits, _ . : -");
const tags = z.array(tag).max(32);
const trustLevel = text(32, 1);
const reason = text(500).optional();

/** Days until a key stops working; omitted or null for no expiry. */
const expiresInDays = z.number().int().min(1).max(3650).nullable().optional();

export const CreateAgentBody = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "a-z, 0-9, _ . - (at most 64), starting with a letter or digit"),
  description: text(1000).nullable().optional(),
  owner: email.nullable().optional(),
  trust_level: trustLevel.optional(),
  tags: tags.optional(),
  key_expires_in_days: expiresInDays,
});

export const UpdateAgentBody = z
  .strictObject({
    description: text(1000).nullable().optional(),
    owner: z
      .union([email, z.literal("")])
      .nullable()
      .optional(),
    trust_level: trustLevel.optional(),
    tags: tags.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "change at least one field");

export const AgentStatusBody = z.strictObject({ reason });

/** Bulk suspend or resume: exactly one selector, `tag` or `all: true`. */
export const BulkAgentsBody = z
  .strictObject({
    tag: tag.optional().openapi({ description: "Every agent with this tag.", example: "finance" }),
    all: z.literal(true).optional().openapi({ description: "Every agent (retired ones excepted)." }),
    reason,
  })
  .superRefine((b, ctx) => {
    if (b.tag === undefined && b.all === undefined) ctx.addIssue({ code: "custom", path: ["tag"], message: "give a tag, or all: true" });
    else if (b.tag !== undefined && b.all !== undefined) ctx.addIssue({ code: "custom", path: ["all"], message: "give a tag or all: true, not both" });
  })
  .openapi("BulkAgentsBody", { description: "Exactly one selector: `tag` or `all: true` (422 naming the field otherwise)." });
export type BulkAgentsBody = z.infer<typeof BulkAgentsBody>;

export const IssueKeyBody = z.strictObject({ expires_in_days: expiresInDays });

export const Role = z.enum(ROLES);

export const InviteUserBody = z.strictObject({ email, role: Role, name: text(200).nullable().optional() });

export const UpdateUserBody = z
  .strictObject({ role: Role.optional(), disabled: z.boolean().optional() })
  .refine((b) => b.role !== undefined || b.disabled !== undefined, "change role or disabled");

export const CreateGroupBody = z.strictObject({
  name: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a-z, 0-9, - and _ (at most 64)"),
});

export const GroupMemberBody = z.union([z.strictObject({ user_id: z.string().max(64) }), z.strictObject({ email })]);

/** Single sign-on's role for accounts it creates. */
export const SsoSettingsBody = z.strictObject({ default_role: Role });

export const AdminScope = z.enum(ADMIN_SCOPES).openapi("AdminScope", {
  description:
    "What an admin API token may reach: `policies`, `agents`, `users`, `audit` or `webhooks`, each `:read` or `:write` (`:write` implies `:read`), or `admin` (everything, including the tokens themselves and single sign-on's default role).",
});

export const CreateAdminTokenBody = z.strictObject({
  name: z.string().min(1).max(100),
  scopes: z
    .array(AdminScope)
    .min(1)
    .max(ADMIN_SCOPES.length)
    .optional()
    .openapi({ description: 'The token\'s scopes; omitted: `["admin"]` (everything). An empty list is refused rather than read as everything.' }),
});
