import { z } from "./zod.ts";

export const ChangePasswordBody = z
  .strictObject({
    current_password: z.string().min(1).max(1024).openapi({ description: "The password the user signed in with (for a one-time password, that one)." }),
    new_password: z.string().min(12).max(1024).openapi({ description: "At least 12 characters, different from the current one." }),
  })
  .openapi("ChangePasswordBody");

export const PasswordChanged = z
  .object({
    changed: z.literal(true),
    other_sessions_ended: z.literal(true).openapi({ description: "Every other session of the user was signed out." }),
  })
  .openapi("PasswordChanged");
