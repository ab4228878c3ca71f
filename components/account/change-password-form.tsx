"use client";

import { useState } from "react";
import { SpinnerIcon } from "../ui/icons";
import { Notice } from "../ui/notice";

interface FormState {
  error: string | null;
  done: boolean;
}

const MIN = 12;

/** Checks what the browser can (length, the two entries agree), then asks the server, which checks the current password. */
async function submit(form: FormData): Promise<FormState> {
  const current = String(form.get("current_password") ?? "");
  const next = String(form.get("new_password") ?? "");
  const again = String(form.get("new_password_again") ?? "");
  if (!current) return { error: "Enter your current password.", done: false };
  if (next.length < MIN) return { error: `The new password needs at least ${MIN} characters.`, done: false };
  if (next !== again) return { error: "The two new passwords differ.", done: false };
  try {
    const res = await fetch("/api/v1/me/password", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ current_password: current, new_password: next }),
    });
    if (res.ok) return { error: null, done: true };
    const problem = (await res.json().catch(() => null)) as { detail?: string; errors?: { path: string }[] } | null;
    if (res.status === 401) {
      window.location.assign("/signin?callbackUrl=%2Fsettings%2Fpassword");
      return { error: null, done: false };
    }
    if (problem?.errors?.some((e) => e.path === "current_password")) return { error: "The current password is not correct.", done: false };
    return { error: problem?.detail ? `${problem.detail[0].toUpperCase()}${problem.detail.slice(1)}.` : `The server answered ${res.status}.`, done: false };
  } catch {
    return { error: "The server could not be reached. Try again.", done: false };
  }
}

const input =
  "block h-10 w-full rounded-lg border border-zinc-300 bg-white px-3 text-sm text-zinc-900 shadow-xs placeholder:text-zinc-400 focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10";
const label = "mb-1.5 block text-sm font-medium text-zinc-800";

export function ChangePasswordForm({ email, oneTime }: { email: string; oneTime: boolean }) {
  // A plain submit handler, not a form action: an action resets the form, and one typo would clear all three fields.
  const [state, setState] = useState<FormState>({ error: null, done: false });
  const [pending, setPending] = useState(false);
  const onSubmit = async (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setPending(true);
    setState(await submit(new FormData(e.currentTarget)));
    setPending(false);
  };
  if (state.done) {
    return (
      <div className="space-y-4" data-testid="password-changed">
        <p className="text-sm text-zinc-700">Your password is changed. Every other session of yours was signed out.</p>
        {/* A full load, so the server renders the dashboard for an account without a one-time password. */}
        <a href="/" className="inline-flex h-10 items-center rounded-lg bg-zinc-900 px-4 text-sm font-medium text-white shadow-xs hover:bg-zinc-800">
          {oneTime ? "Continue to the queue" : "Back to the queue"}
        </a>
      </div>
    );
  }
  return (
    <form onSubmit={(e) => void onSubmit(e)} className="space-y-4" noValidate>
      {/* For password managers: the account the new password belongs to. */}
      <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
      {state.error ? (
        <Notice tone="error" testId="password-error">
          {state.error}
        </Notice>
      ) : null}
      <div>
        <label htmlFor="current_password" className={label}>
          {oneTime ? "One-time password" : "Current password"}
        </label>
        <input id="current_password" name="current_password" type="password" autoComplete="current-password" required className={input} />
      </div>
      <div>
        <label htmlFor="new_password" className={label}>
          New password
        </label>
        <input id="new_password" name="new_password" type="password" autoComplete="new-password" minLength={MIN} required className={input} />
        <p className="mt-1 text-xs text-zinc-500">At least {MIN} characters. A few unrelated words make a good one.</p>
      </div>
      <div>
        <label htmlFor="new_password_again" className={label}>
          New password, again
        </label>
        <input id="new_password_again" name="new_password_again" type="password" autoComplete="new-password" required className={input} />
      </div>
      <button
        type="submit"
        disabled={pending}
        className="inline-flex h-10 w-full items-center justify-center gap-2 rounded-lg bg-zinc-900 px-4 text-sm font-medium text-white shadow-xs hover:bg-zinc-800 disabled:opacity-60"
      >
        {pending ? <SpinnerIcon /> : null}
        Change password
      </button>
    </form>
  );
}
