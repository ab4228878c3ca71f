"use server";

import { AuthError, CredentialsSignin } from "next-auth";
import { signIn } from "@/lib/auth/config";
import { safeReturnPath, signInErrorMessage } from "./messages";

export interface SignInState {
  error: string | null;
  email: string;
}

/** Email and password through Auth.js; on success Auth.js redirects (by throwing), on failure we say why. */
export async function signInWithPassword(_prev: SignInState, form: FormData): Promise<SignInState> {
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!email || !password) return { error: "Enter your email and password.", email };
  try {
    await signIn("credentials", { email, password, redirectTo: safeReturnPath(form.get("callbackUrl")) });
  } catch (err) {
    if (err instanceof AuthError) {
      const code = err instanceof CredentialsSignin ? err.code : undefined;
      return { error: signInErrorMessage(err.type, code), email };
    }
    throw err; // Next's redirect after a successful sign-in
  }
  return { error: null, email };
}

export async function signInWithSso(form: FormData): Promise<void> {
  await signIn("oidc", { redirectTo: safeReturnPath(form.get("callbackUrl")) });
}
