import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  describeFindings,
  displayLine,
  escapeHidden,
  findHidden,
  hasHidden,
  hiddenCharactersWarning,
  pathOf,
  scanRequest,
  splitHidden,
} from "./hidden-characters.ts";

const hexes = (s: string) => findHidden(s).map((c) => c.hex);

describe("hidden characters", () => {
  it("finds every bidi control", () => {
    const bidi = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c";
    expect(hexes(`a${bidi}b`)).toEqual([
      "U+202A",
      "U+202B",
      "U+202C",
      "U+202D",
      "U+202E",
      "U+2066",
      "U+2067",
      "U+2068",
      "U+2069",
      "U+200E",
      "U+200F",
      "U+061C",
    ]);
    expect(findHidden(bidi).every((c) => c.kind === "bidi")).toBe(true);
  });

  it("finds zero-width, invisible and format characters", () => {
    const invisible = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f\u3164\uffa0\u115f\u2028\u2029\u0600\ufff9";
    expect(hexes(invisible)).toHaveLength([...invisible].length);
  });

  it("finds variation selectors and tag characters, and says which ASCII a tag mirrors", () => {
    expect(hexes("x\ufe00y\ufe0fz\u{e0100}")).toEqual(["U+FE00", "U+FE0F", "U+E0100"]);
    expect(findHidden("x\ufe0f")[0].name).toBe("VARIATION SELECTOR-16");
    expect(findHidden("\u{e0100}")[0].short).toBe("VS17");
    const smuggled = findHidden("ok\u{e0001}\u{e0068}\u{e0069}\u{e007f}");
    expect(smuggled.map((c) => c.name)).toEqual(["LANGUAGE TAG", "TAG h", "TAG i", "CANCEL TAG"]);
    expect(smuggled.every((c) => c.kind === "tag")).toBe(true);
  });

  it("finds C0 and C1 controls, DEL and lone surrogates, but not line feed or tab", () => {
    expect(hexes("a\u0000b\u0007\u001b\r\u007f\u0085\u009f")).toEqual(["U+0000", "U+0007", "U+001B", "U+000D", "U+007F", "U+0085", "U+009F"]);
    expect(findHidden("\ud800")[0]).toMatchObject({ kind: "control", name: "LONE SURROGATE" });
    expect(hasHidden("line one\nline two\tcolumn\r\nthree")).toBe(false);
    expect(hexes("ok\rfake")).toEqual(["U+000D"]);
  });

  it("leaves ordinary text alone, other scripts and emoji included", () => {
    for (const s of [
      "acct_live_4321",
      "Ünïcödé – “quotes” …",
      "שלום עולם",
      "مرحبا",
      "日本語",
      "⚠️ careful",
      "👩\u200d💻 at work",
      "👍🏽",
      "1️⃣",
      "👨\u200d👩\u200d👧",
      "❤️\u200d🔥",
      " \u00a0 ",
    ]) {
      expect(hexes(s), s).toEqual([]);
    }
  });

  it("does not excuse selectors and joiners outside an emoji", () => {
    expect(hexes("a\ufe0f")).toEqual(["U+FE0F"]);
    expect(hexes("1\ufe0f")).toEqual(["U+FE0F"]); // no keycap after it
    expect(hexes("a\u200db")).toEqual(["U+200D"]);
    expect(hexes("👍\u200d")).toEqual(["U+200D"]);
  });

  it("splits into segments that join back to the input", () => {
    const s = "acct_\u202e1234_evil\u202c";
    const segs = splitHidden(s);
    expect(segs.map((g) => g.text).join("")).toBe(s);
    expect(segs.map((g) => (g.hidden ? g.hidden.short : g.text))).toEqual(["acct_", "RLO", "1234_evil", "PDF"]);
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme-composite" }),
        (t) =>
          splitHidden(t)
            .map((g) => g.text)
            .join("") === t,
      ),
    );
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        (t) =>
          splitHidden(t)
            .map((g) => g.text)
            .join("") === t,
      ),
    );
  });

  it("escapes into markers that are themselves free of hidden characters", () => {
    expect(escapeHidden("acct_\u202e1234_evil\u202c")).toBe("acct_⟨U+202E RLO⟩1234_evil⟨U+202C PDF⟩");
    expect(escapeHidden("a\u2062b")).toBe("a⟨U+2062⟩b");
    expect(escapeHidden("one\ntwo")).toBe("one\ntwo");
    fc.assert(fc.property(fc.string({ unit: "binary" }), (t) => !hasHidden(escapeHidden(t))));
  });

  it("makes one line: breaks become spaces, the rest markers", () => {
    expect(displayLine("a\r\nb\nc\u2028d\te\u202ef")).toBe("a b c d e⟨U+202E RLO⟩f");
    fc.assert(fc.property(fc.string({ unit: "binary" }), (t) => !/[\r\n]/.test(displayLine(t)) && !hasHidden(displayLine(t))));
  });

  it("names the fields, keys included, with readable paths", () => {
    expect(pathOf("params", "to")).toBe("params.to");
    expect(pathOf("params", "a b")).toBe('params["a b"]');
    expect(pathOf("params", "t\u202eo")).toBe('params["t⟨U+202E RLO⟩o"]');
    expect(pathOf("params.items", 2)).toBe("params.items[2]");
    const findings = scanRequest({
      action: "payments.refund",
      summary: "Pay\u200b out",
      params: { amount: 5, to: "acct_\u202e1234_evil\u202c", nested: [{ "k\u200d": "v" }], note: "line one\nline two" },
      context: { labels: { team: "ops\u2066" } },
      outcomeDetail: "done\u0000",
    });
    expect(findings.map((f) => [f.path, f.inKey, f.characters.map((c) => c.hex)])).toEqual([
      ["summary", false, ["U+200B"]],
      ["params.to", false, ["U+202E", "U+202C"]],
      ['params.nested[0]["k⟨U+200D ZWJ⟩"]', true, ["U+200D"]],
      ["context.labels.team", false, ["U+2066"]],
      ["outcome.detail", false, ["U+0000"]],
    ]);
    expect(describeFindings(findings, 2)).toBe(
      "summary: U+200B ZERO WIDTH SPACE; params.to: U+202E RIGHT-TO-LEFT OVERRIDE, U+202C POP DIRECTIONAL FORMATTING; and 3 more fields",
    );
    expect(hiddenCharactersWarning([])).toBeNull();
    expect(hiddenCharactersWarning(findings)).toMatch(/^This request contains hidden or direction-changing characters: summary: U\+200B ZERO WIDTH SPACE; /);
  });

  it("counts a character once per field", () => {
    expect(scanRequest({ params: { to: "\u200b\u200b\u200b" } })[0].characters).toHaveLength(1);
  });
});
