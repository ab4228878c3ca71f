"use client";

import { signOut } from "next-auth/react";

/** Ends the session through Auth.js (which deletes the server-side session too) and lands on the sign-in page. */
export function SignOutButton() {
  return (
    <button
      type="button"
      onClick={() => void signOut({ redirectTo: "/signin" })}
      className="h-8 rounded-md border border-zinc-200 bg-white px-2.5 text-sm font-medium text-zinc-700 shadow-xs transition-colors hover:bg-zinc-50 hover:text-zinc-900"
    >
      Sign out
    </button>
  );
}
