import { redirect } from "next/navigation";
import { auth } from "@/lib/auth/config";

/** The signed-in user, or a redirect to sign-in that comes back to `returnTo` afterwards. */
export async function requireReviewer(returnTo = "/") {
  const session = await auth();
  if (!session?.user?.id) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  return session.user;
}
