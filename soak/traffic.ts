import { type HttpResult, request } from "../bench/http.ts";

/** What a call was for, so each status is counted where it happened. */
export type Kind = "create" | "wait" | "decide" | "admin" | "health";

/** Answers by status ("201", "503", …) and failures without an answer ("timeout", "connection"). */
export type Counts = Record<string, number>;

export interface TrafficSnapshot {
  byKind: Partial<Record<Kind, Counts>>;
  /** 5xx other than 503: never allowed. */
  serverErrors: number;
  /** 429 or 503 without a `Retry-After` header: never allowed. */
  missingRetryAfter: number;
  /** `code` of the 503 answers (`unavailable`, …). */
  unavailableCodes: Counts;
}

const bump = (c: Counts, key: string, by = 1) => {
  c[key] = (c[key] ?? 0) + by;
};

/**
 * Every answer the load of a scenario sees, by kind and status. A check
 * fails on any 5xx other than 503, and on any 429 or 503 without
 * `Retry-After` (the contract for overload and a database outage).
 */
export class Traffic {
  private s: TrafficSnapshot = { byKind: {}, serverErrors: 0, missingRetryAfter: 0, unavailableCodes: {} };
  /** The first few offending answers, for the report. */
  readonly examples: string[] = [];

  record(kind: Kind, res: HttpResult, what: string): void {
    const counts = (this.s.byKind[kind] ??= {});
    bump(counts, String(res.status));
    const example = (why: string) => {
      if (this.examples.length < 8) this.examples.push(`${why}: ${what} → ${res.status} ${res.body.slice(0, 160)}`);
    };
    if (res.status >= 500 && res.status !== 503) {
      this.s.serverErrors++;
      example("5xx other than 503");
    }
    if ((res.status === 503 || res.status === 429) && !res.headers["retry-after"]) {
      this.s.missingRetryAfter++;
      example("no Retry-After");
    }
    if (res.status === 503) bump(this.s.unavailableCodes, problemCode(res) ?? "(no code)");
  }

  failed(kind: Kind, err: unknown): void {
    bump((this.s.byKind[kind] ??= {}), String(err).includes("timeout") ? "timeout" : "connection");
  }

  snapshot(): TrafficSnapshot {
    return structuredClone(this.s);
  }
}

/** What happened between two snapshots. */
export function between(a: TrafficSnapshot, b: TrafficSnapshot): TrafficSnapshot {
  const byKind: TrafficSnapshot["byKind"] = {};
  for (const [kind, counts] of Object.entries(b.byKind) as [Kind, Counts][]) {
    const before = a.byKind[kind] ?? {};
    const d: Counts = {};
    for (const [k, n] of Object.entries(counts)) if (n - (before[k] ?? 0) > 0) d[k] = n - (before[k] ?? 0);
    byKind[kind] = d;
  }
  const codes: Counts = {};
  for (const [k, n] of Object.entries(b.unavailableCodes)) if (n - (a.unavailableCodes[k] ?? 0) > 0) codes[k] = n - (a.unavailableCodes[k] ?? 0);
  return { byKind, serverErrors: b.serverErrors - a.serverErrors, missingRetryAfter: b.missingRetryAfter - a.missingRetryAfter, unavailableCodes: codes };
}

/** Sum of `kind`'s answers with these statuses (all kinds when `kind` is null). */
export function count(s: TrafficSnapshot, kind: Kind | null, ...statuses: string[]): number {
  const kinds = kind ? [s.byKind[kind] ?? {}] : Object.values(s.byKind);
  return kinds.reduce((n, c) => n + statuses.reduce((m, st) => m + (c?.[st] ?? 0), 0), 0);
}

/** "create 201×1,234 503×40 · wait 200×300", for the printout. */
export function describe(s: TrafficSnapshot): string {
  const parts = Object.entries(s.byKind).map(
    ([kind, c]) =>
      `${kind} ${Object.entries(c ?? {})
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([k, n]) => `${k}×${n.toLocaleString("en-US")}`)
        .join(" ")}`,
  );
  return parts.join(" · ") || "nothing";
}

function problemCode(res: HttpResult): string | undefined {
  try {
    return (JSON.parse(res.body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

/**
 * One HTTP call (bench/http.ts), counted in `traffic` under `kind`, answer or
 * failure (a failure only while `signal` has not aborted: the caller hung up).
 */
export async function send(traffic: Traffic, kind: Kind, url: string, options: Parameters<typeof request>[1], signal?: AbortSignal): Promise<HttpResult> {
  try {
    const res = await request(url, options);
    traffic.record(kind, res, `${options.method ?? "GET"} ${new URL(url).pathname}`);
    return res;
  } catch (err) {
    if (!signal?.aborted) traffic.failed(kind, err);
    throw err;
  }
}

/** Seconds from a `Retry-After` header (delta-seconds), or the fallback. */
export function retryAfterSeconds(res: HttpResult, fallback = 1): number {
  const v = Number(res.headers["retry-after"]);
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}
