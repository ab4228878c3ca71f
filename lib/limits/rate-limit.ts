import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors.ts";

/**
 * Fixed-window limiters, kept in this process's memory. With several app
 * instances each enforces its own share; the pending-request cap (in the
 * database) is the hard per-agent bound.
 */
export function createLimiter(points: number, durationSeconds: number) {
  const limiter = new RateLimiterMemory({ points, duration: durationSeconds });
  return {
    /** Takes one point for `key` or throws 429 with the seconds until the window reopens. */
    async consume(key: string, message: string): Promise<void> {
      try {
        await limiter.consume(key);
      } catch (res) {
        if (res instanceof RateLimiterRes) {
          throw new AppError("rate_limited", message, { retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) });
        }
        throw res;
      }
    },
    async reset(key: string): Promise<void> {
      await limiter.delete(key);
    },
  };
}
