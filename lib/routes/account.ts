import { json } from "../http/body.ts";
import { CHANGE_PASSWORD_PATH } from "../http/callers.ts";
import { clientAddress } from "../http/client-address.ts";
import { defineRoute } from "../http/define-route.ts";
import { errors, invalid, jsonContent, SIGNED_OUT, TOO_LARGE, UNAVAILABLE } from "../openapi/components.ts";
import { ChangePasswordBody, PasswordChanged } from "../schemas/account.ts";
import { changePassword } from "../users/change-password.ts";

/*
 * The signed-in user's own account. Changing the password is the one call a
 * user with a one-time password (invite, reset, first admin) may make, besides
 * signing out: every other call answers 403 until they have.
 */

const changePasswordRoute = defineRoute({
  method: "POST",
  path: CHANGE_PASSWORD_PATH,
  access: { session: ["admin", "reviewer", "auditor"], oneTimePassword: "allowed" },
  body: ChangePasswordBody,
  docs: {
    operationId: "changeMyPassword",
    summary: "Change my password",
    description:
      "Replaces the signed-in user's password after checking the current one (under the same guessing limits as sign-in). Clears the one-time flag that invited, reset and first-start accounts carry, and signs out every other session of the user; this session stays. Recorded in the audit log as `user.password_changed`.",
    tags: ["Users and groups"],
    request: { bodyExamples: { change: { value: { current_password: "the-one-time-password", new_password: "correct horse battery staple" } } } },
    responses: {
      200: { description: "Changed.", content: jsonContent(PasswordChanged, { changed: { value: { changed: true, other_sessions_ended: true } } }) },
      ...errors(
        SIGNED_OUT,
        { code: "forbidden", when: "The call came from another origin.", detail: "cross-site requests are not allowed" },
        {
          code: "conflict",
          when: "The account signs in with single sign-on only.",
          detail: "this account signs in with single sign-on and has no password to change",
        },
        TOO_LARGE,
        invalid("The current password is wrong, or the new one is too short or the same.", [{ path: "current_password", message: "incorrect" }]),
        {
          code: "rate_limited",
          when: "Too many wrong current passwords (the sign-in limits).",
          detail: "too many sign-in attempts for this account from this address",
        },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ req, user, sessionId, body }) {
    await changePassword({
      userId: user.id,
      sessionId,
      currentPassword: body.current_password,
      newPassword: body.new_password,
      address: clientAddress(req.headers),
    });
    return json({ changed: true, other_sessions_ended: true });
  },
});

export const accountRoutes = [changePasswordRoute];
