import { json } from "@/lib/http/body";
import { withPublic } from "@/lib/http/with-agent";
import { activeSigningKey, publicJwks } from "@/lib/grants/signing-keys";

export const dynamic = "force-dynamic";

export const GET = withPublic(async () => {
  await activeSigningKey();
  const res = json(await publicJwks());
  res.headers.set("cache-control", "public, max-age=300");
  return res;
});
