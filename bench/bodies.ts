/**
 * Request bodies that vary the way agents' requests do: several actions,
 * each with its own parameter shape; amounts, resources, summaries and
 * sizes drawn per body (a few hundred bytes to ~10 KB); context present,
 * partial or absent; expiry stated or left to the policy. Generated from a
 * fixed seed, so every run (and the baseline) sends the same pool.
 */
import { EXAMPLE_CONTEXT } from "../lib/schemas/examples.ts";
import { prng } from "../test/support/json-encodings.ts";

const WORDS =
  "customer charged twice duplicate invoice refund ticket escalation billing plan upgrade downgrade region cluster deploy rollback config replicas migration backup nightly report export finance audit quarter cleanup stale records retention policy request approved vendor contract renewal".split(
    " ",
  );

export function generateBodies(count: number, seed = 13): Record<string, unknown>[] {
  const rnd = prng(seed);
  const int = (min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const words = (min: number, max: number) => Array.from({ length: int(min, max) }, () => pick(WORDS)).join(" ");
  const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(0, 15)]).join("");

  const shapes: (() => { action: string; resource: string; params: Record<string, unknown>; summary: string })[] = [
    () => {
      const amount = int(1, 5000) * (rnd() < 0.1 ? 100 : 1);
      const lines = Array.from({ length: int(1, 8) }, () => ({ sku: `sku-${hex(6)}`, qty: int(1, 20), unit_amount: int(100, 99_900) }));
      const customer = `cus_${int(1000, 99_999)}`;
      return {
        action: "payments.refund",
        resource: `customer:${customer}`,
        params: { amount, currency: pick(["USD", "EUR", "GBP", "JPY"]), invoice: `in_${hex(12)}`, lines },
        summary: `Refund $${amount} to ${customer} for ${words(2, 6)}`,
      };
    },
    () => {
      const amount = int(10, 200_000);
      return {
        action: "payments.charge",
        resource: `account:acct_${hex(8)}`,
        params: {
          amount,
          currency: pick(["USD", "EUR"]),
          description: words(3, 20),
          metadata: Object.fromEntries(Array.from({ length: int(0, 6) }, (_, i) => [`k${i}`, hex(int(4, 40))])),
        },
        summary: `Charge ${amount} for ${words(2, 8)}`,
      };
    },
    () => {
      const service = pick(["api", "web", "worker", "billing", "search", "gateway"]);
      const config = Object.fromEntries(
        Array.from({ length: int(0, 24) }, (_, i) => [`SETTING_${i}_${hex(3).toUpperCase()}`, rnd() < 0.5 ? hex(int(2, 60)) : int(0, 10_000)]),
      );
      return {
        action: `deploy.${pick(["production", "staging"])}`,
        resource: `service:${service}`,
        params: { service, version: `v${int(1, 9)}.${int(0, 40)}.${int(0, 99)}`, replicas: int(1, 48), canary: rnd() < 0.3, config },
        summary: `Deploy ${service} ${words(1, 5)}`,
      };
    },
    () => {
      const table = pick(["orders", "customers", "invoices", "events", "sessions"]);
      const columns = Array.from({ length: int(1, 30) }, () => `${pick(WORDS)}_${int(1, 9)}`).join(", ");
      return {
        action: pick(["db.query", "db.delete", "db.update"]),
        resource: `table:${table}`,
        params: {
          sql: `SELECT ${columns} FROM ${table} WHERE created_at < now() - interval '${int(1, 400)} days' LIMIT ${int(1, 100_000)}`,
          dry_run: rnd() < 0.5,
        },
        summary: `Run a query on ${table}: ${words(2, 10)}`,
      };
    },
    () => {
      const to = Array.from({ length: int(1, 12) }, () => `${pick(WORDS)}.${hex(4)}@example.com`);
      return {
        action: "email.send",
        resource: `mailbox:${pick(["support", "billing", "ops"])}`,
        params: {
          to,
          subject: words(3, 12),
          body: words(20, 600),
          attachments: Array.from({ length: int(0, 3) }, () => ({ name: `${hex(8)}.pdf`, bytes: int(1000, 9_000_000) })),
        },
        summary: `Email ${to.length} recipients: ${words(2, 8)}`,
      };
    },
    () => {
      const paths = Array.from({ length: int(1, 40) }, () => `/data/${pick(WORDS)}/${hex(10)}.${pick(["csv", "json", "parquet"])}`);
      return {
        action: "files.delete",
        resource: `bucket:${pick(["exports", "backups", "uploads"])}`,
        params: { paths, recursive: rnd() < 0.2 },
        summary: `Delete ${paths.length} files: ${words(2, 6)}`,
      };
    },
  ];

  return Array.from({ length: count }, (_, n) => {
    const shape = pick(shapes)();
    const body: Record<string, unknown> = { ...shape, summary: shape.summary.slice(0, 500) };
    if (rnd() < 0.8) body.justification = `Ticket #${int(1000, 99_999)}: ${words(5, rnd() < 0.1 ? 500 : 60)}`.slice(0, 4000);
    const c = rnd();
    if (c < 0.4) body.context = EXAMPLE_CONTEXT;
    else if (c < 0.75) {
      body.context = {
        task_id: `task-${n}-${hex(6)}`,
        on_behalf_of: `${pick(WORDS)}@example.com`,
        confidence: Math.round(rnd() * 100) / 100,
        ...(rnd() < 0.5 ? { environment: { name: pick(["production", "staging", "dev"]), region: pick(["eu-west-1", "us-east-1"]) } } : {}),
      };
    }
    // Stated or left to the policy (900 s by default, also the most a request may ask for).
    if (rnd() < 0.7) body.expires_in = pick([600, 900]);
    return body;
  });
}

/** The pool as JSON strings, and the spread of their sizes, for the report. */
export function bodyPool(count = 4096): { bodies: string[]; sizes: { min: number; median: number; max: number } } {
  const bodies = generateBodies(count).map((b) => JSON.stringify(b));
  const sizes = bodies.map((b) => Buffer.byteLength(b)).sort((a, b) => a - b);
  return { bodies, sizes: { min: sizes[0], median: sizes[Math.floor(sizes.length / 2)], max: sizes[sizes.length - 1] } };
}
