import { describe, expect, it } from "vitest";
import { sha256Hex } from "../crypto.ts";
import { canonicalEventBody, GENESIS_HASH } from "./append-event.ts";
import { csvField, csvHeader, csvLine, jsonLine } from "./query-events.ts";
import { verifyChain, type ChainRow, type ChainSource } from "./verify-chain.ts";

/** A correct chain of `n` events, built as append-event.ts builds it. */
function chain(n: number): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e = { type: "test.event", actor: "system", requestId: null, agentId: null, data: { i }, occurredAt: new Date(Date.UTC(2026, 10, 23, 0, 0, i)) };
    const hash = sha256Hex(`${prev}\n${i}\n${canonicalEventBody(e)}`);
    rows.push({ ...e, seq: BigInt(i), prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

/** A source over an array that records every page it is asked for. */
function arraySource(rows: ChainRow[], head = rows.at(-1)) {
  const calls: { after: bigint; limit: number; returned: number }[] = [];
  const source: ChainSource = {
    head: async () => (head ? { seq: head.seq, hash: head.hash } : { seq: 0n, hash: GENESIS_HASH }),
    async events(after, upTo, limit) {
      const page = rows.filter((r) => r.seq > after && r.seq <= upTo).slice(0, limit);
      calls.push({ after, limit, returned: page.length });
      return page;
    },
    checkpoints: async () => [],
    publicJwk: async () => null,
  };
  return { source, calls };
}

describe("verifyChain over a source", () => {
  it("reads in bounded batches: 1,050 events with batch size 100 take 11 reads of at most 100", async () => {
    const { source, calls } = arraySource(chain(1050));
    const progress: number[] = [];
    const result = await verifyChain({ source, batchSize: 100, onProgress: (n) => progress.push(n) });
    expect(result).toMatchObject({ ok: true, events: 1050, headSeq: 1050n });
    expect(calls).toHaveLength(11);
    expect(calls.every((c) => c.limit === 100 && c.returned <= 100)).toBe(true);
    expect(calls.map((c) => c.after)).toEqual(Array.from({ length: 11 }, (_, i) => BigInt(i * 100)));
    expect(progress.at(-1)).toBe(1050);
  });

  it("names the first broken link: edited, missing, out of order, truncated", async () => {
    const rows = chain(300);
    const edited = rows.map((r) => (r.seq === 150n ? { ...r, data: { i: 9999 } } : r));
    expect(await verifyChain({ source: arraySource(edited).source, batchSize: 64 })).toMatchObject({ ok: false, brokenAt: 150n, kind: "edited", events: 149 });

    const missing = rows.filter((r) => r.seq !== 200n);
    expect(await verifyChain({ source: arraySource(missing, rows.at(-1)).source, batchSize: 64 })).toMatchObject({
      ok: false,
      brokenAt: 200n,
      kind: "missing",
    });

    const shuffled = [...rows.slice(0, 10), rows[5], ...rows.slice(10)];
    expect(await verifyChain({ source: arraySource(shuffled).source, batchSize: 64 })).toMatchObject({ ok: false, brokenAt: 6n, kind: "out_of_order" });

    // The tail deleted but the head row left alone.
    expect(await verifyChain({ source: arraySource(rows.slice(0, 250), rows.at(-1)).source, batchSize: 64 })).toMatchObject({
      ok: false,
      brokenAt: 251n,
      kind: "truncated",
    });
  });

  it("an intact empty chain is intact up to event 0", async () => {
    expect(await verifyChain({ source: arraySource([]).source })).toMatchObject({ ok: true, events: 0, headSeq: 0n });
  });
});

describe("export lines", () => {
  const [row] = chain(1);

  it("CSV fields are quoted when needed and never start a formula", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    for (const danger of ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]) expect(csvField(danger).replace(/^"/, "").startsWith("'")).toBe(true);
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField(null)).toBe("");
    expect(csvField(-5)).toBe("-5");
  });

  it("a CSV line has every column; a JSON line is one event object", () => {
    const evil = { ...row, actor: "=cmd|' /C calc'!A0", data: { note: 'a,b\n"c"' } };
    const line = csvLine(evil);
    expect(line.endsWith("\r\n")).toBe(true);
    expect(line).toContain(`,'=cmd|' /C calc'!A0,`);
    expect(csvHeader()).toBe("seq,occurred_at,type,actor,request_id,agent_id,data,prev_hash,hash\r\n");
    expect(JSON.parse(jsonLine(row))).toEqual({
      seq: 1,
      type: "test.event",
      actor: "system",
      request_id: null,
      agent_id: null,
      occurred_at: row.occurredAt.toISOString(),
      data: { i: 1 },
      prev_hash: GENESIS_HASH,
      hash: row.hash,
    });
  });
});
