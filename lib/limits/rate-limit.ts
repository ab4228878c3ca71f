import "server-only";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors.ts";

export type Limiter = ReturnType<typeof build>;

const limiters = new Map<string, Limiter>();

/**
 * A named fixed-window limiter, kept in this process's memory. With several
 * app instances each counts on its own, so a caller spread across them gets
 * the limit from each; the pending-request cap (lib/requests/pending-cap.ts)
 * counts in the database and holds across instances (as a soft bound).
 */
export function limiter(name: string, points: number, durationSeconds: number): Limiter {
  const all = limiters;
  const id = `${name}:${points}:${durationSeconds}`;
  let found = all.get(id);
  if (!found) {
    found = build(points, durationSeconds);
    all.set(id, found);
  }
  return found;
}

function build(points: number, durationSeconds: number) {
  const limiter = new RateLimiterMemory({ points, duration: durationSeconds });
  const limited = (message: string, msBeforeNext: number) =>
    new AppError("rate_limited", message, { retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)) });
  return {
    /** Takes one point for `key` or throws 429 with the seconds until the window reopens. */
    async consume(key: string, message: string): Promise<void> {
      try {
        await limiter.consume(key);
      } catch (res) {
        if (res instanceof RateLimiterRes) throw limited(message, res.msBeforeNext);
        throw res;
      }
    },
    /**
     * Throws 429 when `key` has used up its points, without taking one: for
     * limits that count only failures (`count` after the outcome is known).
     * Concurrent callers may overshoot by as many as arrive at once.
     */
    async check(key: string, message: string): Promise<void> {
      const res = await limiter.get(key);
      if (res && res.consumedPoints >= points) throw limited(message, res.msBeforeNext);
    },
    /** Takes one point for `key`, never throwing. */
    async count(key: string): Promise<void> {
      await limiter.penalty(key);
    },
    /** Gives one point back (a consumed attempt that turned out to be fine). */
    async reward(key: string): Promise<void> {
      await limiter.reward(key);
    },
    async reset(key: string): Promise<void> {
      await limiter.delete(key);
    },
  };
}
