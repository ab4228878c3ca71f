import type { Metadata } from "next";
import { requireConsoleUser } from "../_admin/require-admin";
import { AccessView } from "./access-view";

export const metadata: Metadata = { title: "Access" };

export default async function AccessPage() {
  const user = await requireConsoleUser("/admin/access");
  return <AccessView canEdit={user.canEdit} />;
}
