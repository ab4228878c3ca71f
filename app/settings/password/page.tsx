import type { Metadata } from "next";
import { PageHeader } from "@/components/ui/page-header";
import { ChangePasswordForm } from "@/components/account/change-password-form";
import { Notice } from "@/components/ui/notice";
import { requireReviewer } from "../../_review/require-reviewer";

export const metadata: Metadata = { title: "Password" };

export default async function PasswordPage() {
  const user = await requireReviewer("/settings/password");
  const oneTime = user.mustChangePassword === true;
  return (
    <div className="mx-auto max-w-lg space-y-6">
      <PageHeader
        title={oneTime ? "Choose your password" : "Password"}
        description={oneTime ? undefined : "Change the password you sign in with. Your other sessions are signed out."}
      />
      {oneTime ? (
        <Notice tone="warning" icon="lock" testId="one-time-password">
          You signed in with a one-time password. Choose your own to continue; until then, nothing else is available.
        </Notice>
      ) : null}
      <div className="rounded-xl border border-zinc-200 bg-white p-5 shadow-xs sm:p-6">
        <ChangePasswordForm email={user.email} oneTime={oneTime} />
      </div>
    </div>
  );
}
