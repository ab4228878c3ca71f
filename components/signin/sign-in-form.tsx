"use client";

import { useActionState } from "react";
import { SpinnerIcon } from "../ui/icons";
import { Notice } from "../ui/notice";

export interface SignInFormState {
  error: string | null;
  email: string;
}

interface SignInFormProps {
  action: (state: SignInFormState, form: FormData) => Promise<SignInFormState>;
  callbackUrl: string;
  /** An error carried in the URL (from Auth.js's own redirect). */
  initialError: string | null;
}

const input =
  "block h-10 w-full rounded-lg border border-zinc-300 bg-white px-3 text-sm text-zinc-900 shadow-xs placeholder:text-zinc-400 focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10";

export function SignInForm({ action, callbackUrl, initialError }: SignInFormProps) {
  const [state, formAction, pending] = useActionState(action, { error: initialError, email: "" });
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
