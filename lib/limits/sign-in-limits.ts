import "server-only";
import { recordRefusal } from "../audit/aggregate-refusals.ts";
import { env } from "../env.ts";
import { addressBucket } from "../http/client-address.ts";
import { limiter } from "./rate-limit.ts";

export interface PasswordSignInAttempt {
  /** Normalised (trimmed, lower-case). */
  email: string;
  /** The client address (lib/http/client-address.ts). */
  address: string;
}

/**
 * Runs a password check under sign-in limits that cannot be turned against
 * the account's owner (OWASP Authentication Cheat Sheet: a lockout anyone
 * can trigger is a denial of service):
 * - per account and address, COUNTERSIGN_SIGNIN_ATTEMPTS_PER_15MIN attempts,
 *   cleared by a success: hammering an account locks out only the address
 *   doing it;
 * - per address across accounts, COUNTERSIGN_SIGNIN_FAILURES_PER_ADDRESS_15MIN
 *   failures (password spraying from one place);
 * - per account across addresses, COUNTERSIGN_SIGNIN_FAILURES_PER_ACCOUNT_HOUR
 *   failures (distributed guessing); beyond it, only addresses the account
 *   signed in from before may try, so its owner still gets in.
 * Over a limit it throws `rate_limited` without checking the password.
 * Failures are audit-logged, repeats from one address aggregated
 * (lib/audit/aggregate-refusals.ts). Counted in this process's memory, so
 * per app instance.
 */
export async function limitPasswordSignIn<T>({ email, address }: PasswordSignInAttempt, verify: () => Promise<T | null>): Promise<T | null> {
  const e = env();
  const bucket = addressBucket(address);
  const pair = `${email}\n${bucket}`;
  const perAddress = limiter("signin-address-failures", e.COUNTERSIGN_SIGNIN_FAILURES_PER_ADDRESS_15MIN, 900);
  const perAccountAddress = limiter("signin-account-address", e.COUNTERSIGN_SIGNIN_ATTEMPTS_PER_15MIN, 900);
  const perAccount = limiter("signin-account-failures", e.COUNTERSIGN_SIGNIN_FAILURES_PER_ACCOUNT_HOUR, 3600);

  // Taken before the check (and given back on success) so concurrent guesses cannot slip past.
  await perAddress.consume(bucket, "too many failed sign-ins from this address");
  await perAccountAddress.consume(pair, "too many sign-in attempts for this account from this address");
  if (!knownAddresses.has(pair)) {
    await perAccount.check(email, "too many failed sign-ins for this account; sign in from an address used before, or wait");
  }

  const user = await verify();
  if (user) {
    await perAddress.reward(bucket);
    await perAccountAddress.reset(pair);
    knownAddresses.add(pair);
    return user;
  }
  await perAccount.count(email);
  await recordRefusal({
    key: `user.sign_in_failed:${email}:${address}`,
    event: { type: "user.sign_in_failed", actor: "anonymous", data: { email, address } },
  });
  return null;
}

/** How long a successful sign-in keeps its address trusted for the account. */
const KNOWN_FOR_MS = 30 * 24 * 3600 * 1000;
const KNOWN_MAX = 100_000;

/** Account-and-address pairs that signed in successfully recently (oldest forgotten first). */
class KnownAddresses {
  private readonly seen = new Map<string, number>();

  has(pair: string): boolean {
    const at = this.seen.get(pair);
    return at !== undefined && Date.now() - at < KNOWN_FOR_MS;
  }

  add(pair: string): void {
    this.seen.delete(pair);
    this.seen.set(pair, Date.now());
    if (this.seen.size > KNOWN_MAX) this.seen.delete(this.seen.keys().next().value!);
  }
}

const knownAddresses = new KnownAddresses();
