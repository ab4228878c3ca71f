import { rotateEndpointSecret } from "@/lib/delivery/endpoints";
import { json } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";

/** Replaces the signing secret at once; the new secret is in this answer only. */
export const POST = withAdmin<{ id: string }>(async (_req, { admin, params }) => json({ secret: await rotateEndpointSecret({ id: params.id, actor: admin.actor }) }));
