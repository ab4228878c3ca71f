import "server-only";
import type { Role } from "../users/roles.ts";
import { Auth, type AuthConfig } from "@auth/core";
import { CredentialsSignin } from "@auth/core/errors";
import Credentials from "@auth/core/providers/credentials";
import { appendEvents } from "../audit/append-event.ts";
import { db, transact } from "../db.ts";
import { env } from "../env.ts";
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import { limitPasswordSignIn } from "../limits/sign-in-limits.ts";
import { verifyPassword } from "../users/passwords.ts";
import { clientAddress } from "../http/client-address.ts";
import { safeRedirectUrl } from "../http/safe-redirect.ts";
import { logger } from "../logger.ts";
import { getSsoDefaultRole } from "../settings/sso-default-role.ts";
import { endSession, findLiveSession, startSession } from "./sessions.ts";

class RateLimitedSignin extends CredentialsSignin {
  code = "rate_limited";
}

async function recordSignIn(userId: string, method: string, address: string): Promise<void> {
  await transact(async (trx) => {
    await trx.updateTable("users").set({ lastSignInAt: new Date() }).where("id", "=", userId).execute();
    await appendEvents(trx, [{ type: "user.signed_in", actor: `user:${userId}`, data: { method, address } }]);
  });
}

async function authorizeLocal(credentials: Partial<Record<"email" | "password", unknown>>, request: Request) {
  const email = typeof credentials.email === "string" ? credentials.email.trim().toLowerCase() : "";
  const password = typeof credentials.password === "string" ? credentials.password : "";
  if (!email || !password || email.length > 320 || password.length > 1024) return null;
  const address = clientAddress(request.headers);
  const user = await limitPasswordSignIn({ email, address }, async () => {
    const found = await db().selectFrom("users").select(["id", "email", "name", "passwordHash", "disabled"]).where("email", "=", email).executeTakeFirst();
    const ok = await verifyPassword(password, found?.passwordHash);
    return found && ok && !found.disabled ? found : null;
  }).catch((err) => {
    throw err instanceof AppError && err.code === "rate_limited" ? new RateLimitedSignin() : err;
  });
  if (!user) return null;
  await recordSignIn(user.id, "password", address);
  return { id: user.id, email: user.email, name: user.name };
}

function providers(): AuthConfig["providers"] {
  const e = env();
  const list: AuthConfig["providers"] = [
    Credentials({
      id: "credentials",
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      authorize: authorizeLocal,
    }),
  ];
  if (e.AUTH_OIDC_ISSUER && e.AUTH_OIDC_CLIENT_ID) {
    list.push({
      id: "oidc",
      name: e.AUTH_OIDC_NAME,
      type: "oidc",
      issuer: e.AUTH_OIDC_ISSUER,
      clientId: e.AUTH_OIDC_CLIENT_ID,
      clientSecret: e.AUTH_OIDC_CLIENT_SECRET,
      checks: ["pkce", "state", "nonce"],
      // Take the profile from UserInfo (after the ID token is verified): many
      // issuers put email and name only there.
      idToken: false,
    });
  }
  return list;
}

/** First SSO sign-in creates the account with the configured default role; disabled accounts stay out. */
async function userForSso(email: string, name: string | null, address: string): Promise<string | null> {
  const normalised = email.trim().toLowerCase();
  let user = await db().selectFrom("users").select(["id", "disabled"]).where("email", "=", normalised).executeTakeFirst();
  if (!user) {
    const id = newId("usr");
    const role = await getSsoDefaultRole();
    user = await transact(async (trx) => {
      const created = await trx.insertInto("users").values({ id, email: normalised, name, role }).returning(["id", "disabled"]).executeTakeFirstOrThrow();
      await appendEvents(trx, [{ type: "user.created", actor: "system", data: { user_id: id, email: normalised, role, via: "oidc" } }]);
      return created;
    });
  }
  if (user.disabled) return null;
  await recordSignIn(user.id, "oidc", address);
  return user.id;
}

declare module "@auth/core/types" {
  interface Session {
    user: { id: string; email: string; name?: string | null; role: Role; mustChangePassword?: boolean };
    /** The server-side session (`user_sessions` row) this cookie names. */
    sessionId: string;
  }
}

let config: AuthConfig | undefined;

/**
 * Auth.js (its framework-neutral core): password and OIDC sign-in, the
 * session cookie, sign-out. Every Auth.js endpoint and every session read
 * goes through `authHandler`; the cookie names a server-side session
 * (lib/auth/sessions.ts).
 */
const authConfig = (): AuthConfig =>
  (config ??= {
    basePath: "/api/auth",
    secret: env().AUTH_SECRET,
    trustHost: true,
    session: { strategy: "jwt", maxAge: env().COUNTERSIGN_SESSION_MAX_AGE, updateAge: 15 * 60 },
    pages: { signIn: "/signin", error: "/signin" },
    // Wrong passwords are expected and already audit-logged; everything else goes to the JSON log.
    logger: {
      error(error) {
        // `type` survives minification (`name` does not in the production bundle).
        const type = (error as { type?: string }).type ?? error.name;
        if (type === "CredentialsSignin" || type === "AccessDenied") return;
        logger.error({ err: { type, message: error.message } }, "auth error");
      },
      warn(code) {
        logger.warn({ code }, "auth warning");
      },
      debug() {},
    },
    providers: providers(),
    events: {
      // Both sign-out paths (the dashboard's action and POST /api/auth/signout) end here.
      async signOut(message) {
        const token = "token" in message ? message.token : null;
        if (typeof token?.sid === "string" && typeof token.uid === "string") await endSession({ sessionId: token.sid, userId: token.uid });
      },
    },
    callbacks: {
      redirect: safeRedirectUrl,
      async signIn({ account, profile }) {
        if (account?.provider !== "oidc") return true;
        if (!profile?.email) return false;
        if (profile.email_verified === false) return false;
        return (await userForSso(profile.email, profile.name ?? null, "sso")) !== null;
      },
      /**
       * Runs on every session read. At sign-in it starts a server-side session
       * (lib/auth/sessions.ts) and puts only its id in the cookie; afterwards
       * each read looks that session up, so a signed-out, revoked or disabled
       * session ends at once, and the role is always the current one.
       */
      async jwt({ token, user, account, profile }) {
        let userId: string | undefined;
        if (account?.provider === "oidc" && profile?.email) {
          userId = (await db().selectFrom("users").select("id").where("email", "=", profile.email.toLowerCase()).executeTakeFirst())?.id;
          if (!userId) return null;
        } else if (user?.id) {
          userId = user.id;
        }
        if (userId) token.sid = await startSession(userId);
        if (typeof token.sid !== "string") return null;
        const live = await findLiveSession(token.sid);
        if (!live) return null;
        token.uid = live.userId;
        token.role = live.role;
        token.email = live.email;
        token.name = live.name;
        token.mustChangePassword = live.mustChangePassword;
        return token;
      },
      session({ session, token }) {
        session.sessionId = token.sid as string;
        session.user = {
          ...session.user,
          id: token.uid as string,
          email: token.email as string,
          name: (token.name as string | null) ?? null,
          role: token.role as Role,
          mustChangePassword: token.mustChangePassword === true,
        };
        return session;
      },
    },
  });

/** Answers one Auth.js request (a URL under /api/auth on the public origin). */
export function authHandler(req: Request): Promise<Response> {
  return Auth(req, authConfig());
}
