import type { Metadata } from "next";
import { requireConsoleUser } from "../_admin/require-admin";
import { PoliciesView } from "./policies-view";

export const metadata: Metadata = { title: "Policies" };

export default async function PoliciesPage() {
  const user = await requireConsoleUser("/admin/policies");
  return <PoliciesView canEdit={user.canEdit} />;
}
