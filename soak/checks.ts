import { type TrafficSnapshot, describe } from "./traffic.ts";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** A figure for the summary: what was measured and its value as printed. */
export type Figures = Record<string, string | number>;

/** The checks of one scenario, printed as they are made. Any failed one makes `npm run soak` exit non-zero. */
export class Checks {
  readonly list: Check[] = [];
  constructor(private readonly log: (line: string) => void) {}

  that(name: string, ok: boolean, detail: string): boolean {
    this.list.push({ name, ok, detail });
    this.log(`  ${ok ? "PASS" : "FAIL"}  ${name}: ${detail}`);
    return ok;
  }

  /** The contract for every answer under load: no 5xx but 503, and every 429/503 carries Retry-After. */
  traffic(s: TrafficSnapshot, examples: string[]): void {
    this.that("no 5xx other than 503", s.serverErrors === 0, `${s.serverErrors} (${describe(s)})${s.serverErrors ? `; e.g. ${examples.join(" | ")}` : ""}`);
    this.that(
      "every 429/503 has Retry-After",
      s.missingRetryAfter === 0,
      `${s.missingRetryAfter} without${s.missingRetryAfter ? `; e.g. ${examples.join(" | ")}` : ""}`,
    );
  }

  get failed(): number {
    return this.list.filter((c) => !c.ok).length;
  }
}
