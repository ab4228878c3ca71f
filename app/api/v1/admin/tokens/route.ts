import { createAdminToken } from "@/lib/admin-tokens/admin-tokens";
import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { z } from "@/lib/schemas/zod";

const CreateTokenBody = z.strictObject({ name: z.string().min(1).max(100) });

/** Creates an admin API token; the token is in this answer only. Sessions only: a token cannot mint tokens. */
export const POST = withSession(["admin"], async (req, { user }) => {
  const body = await readBody(req, CreateTokenBody);
  const { tokenId, token } = await createAdminToken({ name: body.name, actor: `user:${user.id}` });
  return json({ id: tokenId, token }, { status: 201 });
});
