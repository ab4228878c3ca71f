import { redirect } from "next/navigation";
import { requireConsoleUser } from "./_admin/require-admin";

export default async function AdminPage() {
  await requireConsoleUser("/admin");
  redirect("/admin/agents");
}
