import { Fragment } from "react";
import { characterLabel, splitHidden, type HiddenCharacter } from "@/lib/text/hidden-characters";

type Tone = "light" | "dark";

const CHIP: Record<Tone, string> = {
  light: "bg-red-50 text-red-700 ring-red-600/30",
  dark: "bg-red-500/30 text-red-100 ring-red-400/70",
};
const SUBTLE: Record<Tone, string> = { light: "text-zinc-400", dark: "text-zinc-500" };

/** One hidden character, written out as `⟨U+202E RLO⟩` in a red chip instead of being applied. */
export function HiddenChip({ char, tone = "light" }: { char: HiddenCharacter; tone?: Tone }) {
  return (
    <span
      data-testid="hidden-char"
      data-code-point={char.hex}
      title={`${characterLabel(char)}: a hidden character, shown here instead of applied`}
      className={`mx-px inline rounded px-0.5 font-mono text-[0.8em] font-medium whitespace-nowrap ring-1 ring-inset [unicode-bidi:isolate] ${CHIP[tone]}`}
    >
      <span className="opacity-60">⟨</span>
      {char.hex}
      {char.short ? ` ${char.short}` : ""}
      <span className="opacity-60">⟩</span>
    </span>
  );
}

/**
 * Agent text as React text nodes (inert), with every hidden or
 * direction-changing character replaced by a chip, so what shows is the
 * characters in the order they are stored. `marks` also marks line feeds
 * (↵, then the break) and tabs (⇥), for values where whitespace matters;
 * `quoted` escapes `"` and `\` as in a JSON string literal.
 */
export function VisibleText({ text, tone = "light", marks = false, quoted = false }: { text: string; tone?: Tone; marks?: boolean; quoted?: boolean }) {
  return (
    <>
      {splitHidden(text).map((seg, i) =>
        seg.hidden ? (
          <HiddenChip key={i} char={seg.hidden} tone={tone} />
        ) : (
          <Fragment key={i}>{marks || quoted ? visibleRun(seg.text, tone, marks, quoted) : seg.text}</Fragment>
        ),
      )}
    </>
  );
}

function visibleRun(text: string, tone: Tone, marks: boolean, quoted: boolean): React.ReactNode[] {
  const out: React.ReactNode[] = [];
  let plain = "";
  const flush = () => {
    if (plain) out.push(plain);
    plain = "";
  };
  for (const c of text) {
    if (quoted && (c === '"' || c === "\\")) plain += `\\${c}`;
    else if (marks && (c === "\n" || c === "\t")) {
      flush();
      out.push(
        <span key={out.length} className={`select-none ${SUBTLE[tone]}`} aria-hidden="true">
          {c === "\n" ? "↵" : "⇥"}
        </span>,
        c,
      );
    } else plain += c;
  }
  flush();
  return out;
}
