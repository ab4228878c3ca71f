import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm, SsoButton } from "@/components/signin/sign-in-form";
import { LogoMark } from "@/components/ui/icons";
import { oidcEnabled } from "@/lib/env";
import { signedInUser } from "../_review/require-reviewer";
import { safeReturnPath, signInErrorMessage } from "@/components/signin/messages";

export const metadata: Metadata = { title: "Sign in" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : undefined);

export default async function SignInPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const callbackUrl = safeReturnPath(one(params.callbackUrl));
  if (await signedInUser()) redirect(callbackUrl);
  const sso = oidcEnabled();

  return (
    <main className="flex min-h-screen flex-col items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center text-center">
          <span className="mb-4 flex size-10 items-center justify-center rounded-xl bg-zinc-900 text-white shadow-sm">
            <LogoMark className="size-5" />
          </span>
          <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Sign in to Countersign</h1>
          <p className="mt-1 text-sm text-zinc-500">Review and decide what your agents ask to do.</p>
        </div>
        <div className="rounded-xl border border-zinc-200 bg-white p-6 shadow-sm">
          {sso ? (
            <>
              <SsoButton callbackUrl={callbackUrl} />
              <div className="my-5 flex items-center gap-3 text-xs text-zinc-400">
                <span className="h-px flex-1 bg-zinc-200" />
                or with email
                <span className="h-px flex-1 bg-zinc-200" />
              </div>
            </>
          ) : null}
          <SignInForm callbackUrl={callbackUrl} initialError={signInErrorMessage(one(params.error), one(params.code))} />
        </div>
        <p className="mt-6 text-center text-xs text-zinc-400">
          Accounts are created by an administrator. ·{" "}
          <a href="/docs/api" className="underline-offset-2 hover:text-zinc-600 hover:underline">
            API reference
          </a>
        </p>
      </div>
    </main>
  );
}
