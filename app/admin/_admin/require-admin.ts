import { redirect } from "next/navigation";
import type { Role } from "@/lib/users/roles";
import { requireReviewer } from "../../_review/require-reviewer";

/**
 * The console is for admins, and read-only for auditors; reviewers are sent
 * back to the queue. The admin endpoints check the same on every call.
 */
export async function requireConsoleUser(returnTo: string): Promise<{ id: string; email: string; role: Extract<Role, "admin" | "auditor">; canEdit: boolean }> {
  const user = await requireReviewer(returnTo);
  if (user.role !== "admin" && user.role !== "auditor") redirect("/");
  return { id: user.id, email: user.email, role: user.role, canEdit: user.role === "admin" };
}
