import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import { env } from "../env.ts";
import type { Reviewer } from "../requests/decide-request.ts";

/**
 * How the server tells the page renderer who is signed in. The server
 * resolves the session of every page request (lib/runtime/server.ts), drops
 * any header of this name the client sent, and sets its own; Next.js pages
 * read it instead of decoding cookies themselves, so the sign-in state has one
 * reader. The value is signed with AUTH_SECRET, so a page refuses a header
 * the server did not write even if Next.js were reached some other way.
 */
export const PRINCIPAL_HEADER = "x-countersign-principal";

export type PagePrincipal = Reviewer & { name: string | null; mustChangePassword?: boolean };

const mac = (payload: string) =>
  createHmac("sha256", `countersign-page-principal:${env().AUTH_SECRET ?? ""}`)
    .update(payload)
    .digest();

/** `<base64url JSON>.<base64url HMAC>`: header values must be plain ASCII, emails and names need not be. */
export function encodePrincipal(p: PagePrincipal): string {
  const payload = Buffer.from(
    JSON.stringify({ id: p.id, email: p.email, name: p.name, role: p.role, mustChangePassword: p.mustChangePassword === true }),
  ).toString("base64url");
  return `${payload}.${mac(payload).toString("base64url")}`;
}

/** The principal in a header this server wrote, or null (absent, altered, or signed with another secret). */
export function decodePrincipal(value: string | null | undefined): PagePrincipal | null {
  if (!value || !env().AUTH_SECRET) return null;
  const [payload, signature, extra] = value.split(".");
  if (!payload || !signature || extra !== undefined) return null;
  const given = Buffer.from(signature, "base64url");
  const expected = mac(payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const p = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as PagePrincipal;
    return typeof p.id === "string" && typeof p.email === "string" && typeof p.role === "string" ? p : null;
  } catch {
    return null;
  }
}
