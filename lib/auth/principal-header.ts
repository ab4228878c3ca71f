import type { Reviewer } from "../requests/decide-request.ts";

/**
 * How the server tells the page renderer who is signed in. The server
 * resolves the session of every page request (lib/runtime/server.ts), drops
 * any header of this name the client sent, and sets its own; Next.js pages
 * read it instead of decoding cookies themselves, so the sign-in state has one
 * reader. Pure: imported by pages.
 */
export const PRINCIPAL_HEADER = "x-countersign-principal";

export type PagePrincipal = Reviewer & { name: string | null };

/** base64url JSON: header values must be plain ASCII, emails and names need not be. */
export function encodePrincipal(p: PagePrincipal): string {
  return Buffer.from(JSON.stringify({ id: p.id, email: p.email, name: p.name, role: p.role })).toString("base64url");
}

export function decodePrincipal(value: string | null | undefined): PagePrincipal | null {
  if (!value) return null;
  try {
    const p = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as PagePrincipal;
    return typeof p.id === "string" && typeof p.email === "string" && typeof p.role === "string" ? p : null;
  } catch {
    return null;
  }
}
