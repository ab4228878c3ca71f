import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { decodePrincipal, PRINCIPAL_HEADER, type PagePrincipal } from "@/lib/auth/principal-header";

/** The signed-in user, as the server resolved it for this page request (lib/auth/principal-header.ts), or null. */
export async function signedInUser(): Promise<PagePrincipal | null> {
  return decodePrincipal((await headers()).get(PRINCIPAL_HEADER));
}

/** The signed-in user, or a redirect to sign-in that comes back to `returnTo` afterwards. */
export async function requireReviewer(returnTo = "/"): Promise<PagePrincipal> {
  const user = await signedInUser();
  if (!user) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  return user;
}
