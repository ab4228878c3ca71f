import { safeCallbackPath } from "@/lib/http/safe-redirect";

/** Sign-in failures in words a person can act on, keyed by Auth.js error type and code. */
export function signInErrorMessage(type: string | undefined, code?: string | undefined): string | null {
  if (!type) return null;
  if (code === "rate_limited") return "Too many sign-in attempts. Wait a few minutes, then try again.";
  switch (type) {
    case "CredentialsSignin":
      return "Wrong email or password.";
    case "AccessDenied":
      return "This account is not allowed to sign in. Ask an administrator.";
    case "Configuration":
      return "Sign-in is not configured correctly on the server. Ask an administrator.";
    default:
      return "Sign-in failed. Try again.";
  }
}

/** Where to go after signing in: a same-origin path (never the sign-in page or the API), else the queue. */
export function safeReturnPath(value: unknown): string {
  const path = safeCallbackPath(value);
  if (!path || path.startsWith("/signin") || path.startsWith("/api/")) return "/";
  return path;
}
