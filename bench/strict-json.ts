/**
 * Strict JSON parsing cost: `node bin/run-ts.mjs bench/strict-json.ts`.
 * Median µs per parse of typical create-request bodies (about 1 and 3 KiB)
 * with JSON.parse and with parseStrictJson, UTF-8 decoding included: as
 * JSON.stringify writes them (the SDKs; the fast path) and re-spelled (the
 * momoa AST path).
 */
import { performance } from "node:perf_hooks";
import { parseStrictJson } from "../lib/http/strict-json.ts";
import { median, round } from "./stats.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function body(items: number): Buffer {
  const params = {
    amount: 500,
    currency: "USD",
    customer: "cus_123",
    note: "Refund for the duplicate charge of 2026-11-20 ✓",
    lines: Array.from({ length: items }, (_, i) => ({ sku: `sku-${i}`, qty: (i % 3) + 1, price: 12.5 * i, tags: ["a", "b"], gift: i % 2 === 0 })),
  };
  return Buffer.from(
    JSON.stringify({
      action: "payments.refund",
      resource: "customer:cus_123",
      params,
      summary: "Refund $500 to customer cus_123 for a duplicate charge",
      justification: "Ticket #4521: charged twice on 2026-11-20",
      context: { on_behalf_of: "alice@example.com", confidence: 0.82, environment: { name: "production" }, labels: { team: "billing" } },
    }),
  );
}

function measure(parse: (text: string) => unknown, bytes: Buffer, batch = 1000, rounds = 30): number {
  const samples: number[] = [];
  for (let r = 0; r < rounds + 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) parse(UTF8.decode(bytes));
    if (r >= 5) samples.push(((performance.now() - t0) * 1000) / batch);
  }
  return median(samples);
}

for (const items of [6, 40]) {
  const compact = body(items);
  // Any other spelling (here: indented, as a hand-written or Python client may send) takes the AST path.
  const pretty = Buffer.from(JSON.stringify(JSON.parse(compact.toString()), null, 1));
  const native = measure(JSON.parse, compact);
  const fast = measure(parseStrictJson, compact);
  const slow = measure(parseStrictJson, pretty);
  console.log(
    `${compact.byteLength} B body: JSON.parse ${round(native, 1)} µs; parseStrictJson ${round(fast, 1)} µs as JSON.stringify writes it (×${round(fast / native, 1)}), ` +
      `${round(slow, 1)} µs re-spelled (${pretty.byteLength} B, AST path, ×${round(slow / native, 1)})`,
  );
}
