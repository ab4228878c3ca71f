import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mutate, paramsArbitrary, prng, reencode, type Injection } from "../../test/support/json-encodings.ts";
import { canonicalJson, canonicalSha256 } from "../crypto.ts";
import { AppError } from "../errors.ts";
import { RedeemBody } from "../schemas/requests.ts";
import { parseWith, readJson } from "./body.ts";
import { parseStrictJson } from "./strict-json.ts";

const SEED = 20261202;
const RUNS = 300;

function refusal(f: () => unknown): { path: string; message: string } | "accepted" {
  try {
    f();
    return "accepted";
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== "validation_failed") throw err;
    return err.errors![0];
  }
}

/** What redeem hashes: the body parsed strictly, then validated by the same schema the route uses. */
const paramsHash = (text: string) => canonicalSha256(parseWith(RedeemBody, parseStrictJson(`{"token":"t","params":${text}}`)).params);

describe("parseStrictJson", () => {
  it("refuses a duplicate member name at any depth, naming its path", () => {
    expect(refusal(() => parseStrictJson('{"amount":5000,"amount":50}'))).toEqual({ path: "amount", message: "duplicate member name" });
    expect(refusal(() => parseStrictJson('{"params":{"a":[{"b":1,"c":2,"b":1}]}}'))).toEqual({ path: "params.a.0.b", message: "duplicate member name" });
    // The same name spelled with an escape is the same name.
    expect(refusal(() => parseStrictJson('{"params":{"amount":1,"\\u0061mount":2}}'))).toMatchObject({ path: "params.amount" });
  });

  it("refuses a __proto__ member however it is spelled, and builds no object with a changed prototype", () => {
    expect(refusal(() => parseStrictJson('{"params":{"__proto__":{"admin":true}}}'))).toEqual({
      path: "params.__proto__",
      message: "__proto__ is not allowed as a member name",
    });
    expect(refusal(() => parseStrictJson('{"\\u005f_proto__":1}'))).toMatchObject({ path: "__proto__" });
    const value = parseStrictJson('{"constructor":{"prototype":1},"toString":"x","hasOwnProperty":2}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["constructor", "toString", "hasOwnProperty"]);
  });

  it("refuses lone surrogates, raw control characters and non-JSON", () => {
    expect(refusal(() => parseStrictJson('{"note":"\\ud800"}'))).toEqual({ path: "note", message: "lone UTF-16 surrogate" });
    expect(refusal(() => parseStrictJson('{"a":{"\\udfff":1}}'))).toMatchObject({ path: "a.\udfff", message: "lone UTF-16 surrogate" });
    expect(parseStrictJson('"\\ud83d\\ude00"')).toBe("😀");
    expect(refusal(() => parseStrictJson('{"a":"x\ty"}'))).toMatchObject({ path: "a", message: "unescaped control character in a string" });
    expect(parseStrictJson('{"a":"x\\ty"}')).toEqual({ a: "x\ty" });
    for (const bad of ["{a:1}", "[1,]", "NaN", "'x'", "01", "1 2", '{"a":1', "// c\n1"]) {
      expect(
        refusal(() => parseStrictJson(bad)),
        bad,
      ).toMatchObject({ path: "(body)" });
    }
  });

  it("refuses deep nesting without overflowing the stack", () => {
    expect(parseStrictJson("[".repeat(64) + "]".repeat(64))).toBeInstanceOf(Array);
    expect(refusal(() => parseStrictJson("[".repeat(65) + "]".repeat(65)))).toMatchObject({ message: "nested deeper than 64 levels" });
    expect(refusal(() => parseStrictJson("[".repeat(30_000) + "]".repeat(30_000)))).toMatchObject({ path: "(body)", message: "nested deeper than 64 levels" });
    expect(refusal(() => parseStrictJson(` ${'{"a":'.repeat(100)}1${"}".repeat(100)}`))).toMatchObject({ message: "nested deeper than 64 levels" });
  });

  it("accepts what JSON.parse accepts (without duplicates) and builds the same value, on both paths", () => {
    fc.assert(
      fc.property(paramsArbitrary, fc.integer(), (value, seed) => {
        const compact = JSON.stringify(value); // the fast path
        const spelled = reencode(value, prng(seed)); // the AST path
        expect(parseStrictJson(compact)).toStrictEqual(JSON.parse(compact));
        expect(parseStrictJson(spelled)).toStrictEqual(JSON.parse(spelled));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("refuses whatever JSON.parse refuses", () => {
    const nearJson = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: fc.constantFrom(...'{}[]":,0-1e.tnu\\ \t\nfa/x'), maxLength: 20 }));
    fc.assert(
      fc.property(nearJson, (text) => {
        let ok = true;
        try {
          JSON.parse(text);
        } catch {
          ok = false;
        }
        if (!ok) expect(refusal(() => parseStrictJson(text))).not.toBe("accepted");
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

describe("payload binding (property)", () => {
  it("every re-encoding of params hashes like the value; every mutation hashes differently", () => {
    fc.assert(
      fc.property(paramsArbitrary, fc.integer(), (value, seed) => {
        const rand = prng(seed);
        const expected = canonicalSha256(value);
        expect(paramsHash(JSON.stringify(value))).toBe(expected);
        expect(paramsHash(reencode(value, rand))).toBe(expected);
        const other = mutate(value, rand);
        expect(paramsHash(reencode(other, rand))).not.toBe(expected);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("a duplicate member or a __proto__ member anywhere is refused, naming its path, never hashed", () => {
    fc.assert(
      fc.property(paramsArbitrary, fc.integer(), fc.constantFrom<Injection["kind"]>("duplicate", "proto"), (value, seed, kind) => {
        const inject: Injection = { kind };
        const text = reencode(value, prng(seed), inject);
        expect(refusal(() => paramsHash(text))).toEqual({
          path: `params.${inject.path}`,
          message: kind === "proto" ? "__proto__ is not allowed as a member name" : "duplicate member name",
        });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("invalid UTF-8 anywhere in a body is refused, so different bytes never read as the same text", async () => {
    const invalid = fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]);
    await fc.assert(
      fc.asyncProperty(paramsArbitrary, fc.integer(), invalid, fc.nat(), async (value, seed, bad, at) => {
        const bytes = Buffer.from(reencode({ note: "", ...value }, prng(seed)));
        // Inside a string, between two ASCII characters, so only the bytes are wrong.
        const quotes = [...bytes.keys()].filter((i) => bytes[i] === 0x22);
        const i = quotes[at % quotes.length] + 1;
        const body = Buffer.concat([bytes.subarray(0, i), Buffer.from(bad), bytes.subarray(i)]);
        const req = new Request("http://countersign.test/", { method: "POST", body });
        await expect(readJson(req)).rejects.toMatchObject({ code: "validation_failed", errors: [{ path: "(body)", message: "invalid UTF-8" }] });
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it("canonical JSON is the binding: -0 and 0, 1e2 and 100, escapes and raw text are the same value", () => {
    expect(paramsHash('{"a":1e2,"b":-0,"c":"\\u00e9\\/"}')).toBe(paramsHash('{ "c" : "é/", "b" : 0, "a" : 100.0 }'));
    expect(canonicalJson(parseStrictJson('{"b":[1.0,2E0],"a":"\\uD83D\\uDE00"}'))).toBe('{"a":"😀","b":[1,2]}');
  });
});
