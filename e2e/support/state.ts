import { readFileSync } from "node:fs";

/** What global setup hands to the specs: where the app runs, and who can sign in or call it. */
export interface E2EState {
  url: string;
  reviewer: { email: string; password: string };
  secondReviewer: { email: string; password: string };
  /** An account only the rate-limit spec signs in with, so its lockout touches nothing else. */
  lockoutUser: { email: string; password: string };
  /** Admin console specs: an admin, and an auditor (read-only console). */
  admin: { email: string; password: string };
  auditor: { email: string; password: string };
  agents: {
    billing: { id: string; name: string; key: string };
    ops: { id: string; name: string; key: string };
  };
}

export const STATE_FILE_ENV = "COUNTERSIGN_E2E_STATE";

let cached: E2EState | undefined;

export function e2eState(): E2EState {
  const file = process.env[STATE_FILE_ENV];
  if (!file) throw new Error(`${STATE_FILE_ENV} is not set: run the specs through playwright.config.ts (its global setup starts the app)`);
  cached ??= JSON.parse(readFileSync(file, "utf8")) as E2EState;
  return cached;
}
