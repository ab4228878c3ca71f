"use client";

import { signIn } from "next-auth/react";
import { useActionState } from "react";
import { safeReturnPath, signInErrorMessage } from "./messages";
import { SpinnerIcon } from "../ui/icons";
import { Notice } from "../ui/notice";

interface SignInFormState {
  error: string | null;
  email: string;
}

interface SignInFormProps {
  callbackUrl: string;
  /** An error carried in the URL (from Auth.js's own redirect). */
  initialError: string | null;
}

/**
 * Email and password through Auth.js's credentials callback (CSRF token
 * first, then the form post); on success the browser goes where Auth.js
 * says, on failure we say why in words.
 */
async function signInWithPassword(form: FormData): Promise<SignInFormState> {
  const callbackUrl = safeReturnPath(form.get("callbackUrl"));
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!email || !password) return { error: "Enter your email and password.", email };
  try {
    const result = await signIn("credentials", { email, password, redirect: false, redirectTo: callbackUrl });
    if (result?.error || !result?.url) return { error: signInErrorMessage(result?.error ?? "Default", result?.code), email };
    window.location.assign(result.url);
    return { error: null, email };
  } catch {
    return { error: signInErrorMessage("Default"), email };
  }
}

const input =
  "block h-10 w-full rounded-lg border border-zinc-300 bg-white px-3 text-sm text-zinc-900 shadow-xs placeholder:text-zinc-400 focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10";

export function SignInForm({ callbackUrl, initialError }: SignInFormProps) {
  const [state, formAction, pending] = useActionState((_: SignInFormState, form: FormData) => signInWithPassword(form), { error: initialError, email: "" });
  return (
    <form action={formAction} className="space-y-4" noValidate>
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      {state.error ? (
        <Notice tone="error" testId="signin-error">
          {state.error}
        </Notice>
      ) : null}
      <div>
        <label htmlFor="email" className="mb-1.5 block text-sm font-medium text-zinc-800">
          Email
        </label>
        <input id="email" name="email" type="email" autoComplete="username" required defaultValue={state.email} className={input} />
      </div>
      <div>
        <label htmlFor="password" className="mb-1.5 block text-sm font-medium text-zinc-800">
          Password
        </label>
        <input id="password" name="password" type="password" autoComplete="current-password" required className={input} />
      </div>
      <button
        type="submit"
        disabled={pending}
        className="inline-flex h-10 w-full items-center justify-center gap-2 rounded-lg bg-zinc-900 text-sm font-medium text-white shadow-xs transition-colors hover:bg-zinc-800 disabled:opacity-70"
      >
        {pending ? <SpinnerIcon /> : null}
        Sign in
      </button>
    </form>
  );
}

/** Single sign-on: Auth.js sends the browser to the identity provider and back to `callbackUrl`. */
export function SsoButton({ callbackUrl }: { callbackUrl: string }) {
  return (
    <button
      type="button"
      onClick={() => void signIn("oidc", { redirectTo: callbackUrl })}
      className="inline-flex h-10 w-full items-center justify-center rounded-lg border border-zinc-300 bg-white text-sm font-medium text-zinc-900 shadow-xs transition-colors hover:bg-zinc-50"
    >
      Continue with single sign-on
    </button>
  );
}
