import { createAdminToken } from "@/lib/admin-tokens/admin-tokens";
import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { CreateAdminTokenBody } from "@/lib/schemas/admin";

/** Creates an admin API token; the token is in this answer only. Sessions only: a token cannot mint tokens. */
export const POST = withSession(["admin"], async (req, { user }) => {
  const body = await readBody(req, CreateAdminTokenBody);
  const { tokenId, token } = await createAdminToken({ name: body.name, actor: `user:${user.id}` });
  return json({ id: tokenId, token }, { status: 201 });
});
