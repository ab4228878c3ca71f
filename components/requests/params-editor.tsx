"use client";

import canonicalize from "canonicalize";
import { VisibleText } from "./visible-text";

/**
 * Amend on approve: the fields a rule lets reviewers change, edited in place.
 * Strings are text inputs, numbers number inputs, anything else JSON text.
 * What is typed stays text in `draft` until it is read by `readAmendment`.
 */

type Kind = "string" | "number" | "json";

export interface ParamChange {
  name: string;
  /** Canonical JSON of the value before, or null when the param was absent. */
  before: string | null;
  /** Canonical JSON of the value after, or null when the param is removed. */
  after: string | null;
}

export interface Amendment {
  /** The whole params as amended (only when every field reads). */
  params: Record<string, unknown> | null;
  changes: ParamChange[];
  /** Fields whose text does not read as their kind of value. */
  problems: { name: string; message: string }[];
}

function kindOf(value: unknown): Kind {
  return typeof value === "string" ? "string" : typeof value === "number" ? "number" : "json";
}

const json = (value: unknown): string | null => (value === undefined ? null : (canonicalize(value) ?? null));

/** The text each editable field starts with. */
export function initialDraft(params: Record<string, unknown>, editable: string[]): Record<string, string> {
  const draft: Record<string, string> = {};
  for (const name of editable) {
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    const kind = kindOf(value);
    draft[name] = kind === "string" ? (value as string) : kind === "number" ? String(value) : value === undefined ? "" : JSON.stringify(value, null, 2);
  }
  return draft;
}

/** The amended params and what changed; a JSON field left empty removes the param. */
export function readAmendment(params: Record<string, unknown>, editable: string[], draft: Record<string, string>): Amendment {
  const next: Record<string, unknown> = { ...params };
  const problems: Amendment["problems"] = [];
  for (const name of editable) {
    const text = draft[name] ?? "";
    const original = Object.hasOwn(params, name) ? params[name] : undefined;
    const kind = kindOf(original);
    if (kind === "string") {
      next[name] = text;
    } else if (kind === "number") {
      const n = Number(text);
      if (text.trim() === "" || !Number.isFinite(n)) problems.push({ name, message: "must be a number" });
      else next[name] = n;
    } else if (text.trim() === "") {
      delete next[name];
    } else {
      try {
        next[name] = JSON.parse(text);
      } catch {
        problems.push({ name, message: "must be JSON (a string needs quotes)" });
      }
    }
  }
  const changes = editable
    .map((name) => ({
      name,
      before: json(Object.hasOwn(params, name) ? params[name] : undefined),
      after: json(Object.hasOwn(next, name) ? next[name] : undefined),
    }))
    .filter((c) => !problems.some((p) => p.name === c.name) && c.before !== c.after);
  return { params: problems.length ? null : next, changes, problems };
}

/** Every top-level param that differs between `before` and `after`, by name. */
export function diffParams(before: Record<string, unknown>, after: Record<string, unknown>): ParamChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names
    .map((name) => ({
      name,
      before: json(Object.hasOwn(before, name) ? before[name] : undefined),
      after: json(Object.hasOwn(after, name) ? after[name] : undefined),
    }))
    .filter((c) => c.before !== c.after);
}

const inputClass =
  "block w-full rounded-lg border border-zinc-300 bg-white px-3 py-2 text-sm text-zinc-900 shadow-xs focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10 aria-invalid:border-red-400";

export function ParamsEditor({
  params,
  editable,
  draft,
  onDraft,
  fieldErrors,
}: {
  params: Record<string, unknown>;
  editable: string[];
  draft: Record<string, string>;
  onDraft(draft: Record<string, string>): void;
  /** Problems by param name: the field's own, or the server's (`params.<name>`). */
  fieldErrors: Record<string, string>;
}) {
  return (
    <fieldset className="mb-4 space-y-3 rounded-lg border border-amber-300 bg-amber-50/60 p-3" data-testid="params-editor">
      <legend className="px-1 text-xs font-medium text-amber-900">Amend before approving</legend>
      <p className="text-xs text-amber-900">The rule lets reviewers change these fields. The grant will bind the amended params; the record keeps both.</p>
      {editable.map((name) => {
        const original = Object.hasOwn(params, name) ? params[name] : undefined;
        const kind = kindOf(original);
        const id = `amend-${name}`;
        const error = fieldErrors[name];
        const common = {
          id,
          value: draft[name] ?? "",
          "aria-invalid": error ? true : undefined,
          "aria-describedby": error ? `${id}-error` : undefined,
          "data-testid": "amend-field",
          "data-name": name,
        };
        return (
          <div key={name}>
            <label htmlFor={id} className="mb-1 block font-mono text-xs font-medium text-zinc-800">
              <VisibleText text={name} />
              <span className="ml-2 font-sans font-normal text-zinc-500">
                {kind === "json" ? (original === undefined ? "JSON, absent now" : "JSON") : kind}
              </span>
            </label>
            {kind === "json" ? (
              <textarea
                {...common}
                rows={3}
                spellCheck={false}
                className={`${inputClass} font-mono text-xs`}
                onChange={(e) => onDraft({ ...draft, [name]: e.target.value })}
              />
            ) : (
              <input
                {...common}
                type={kind === "number" ? "number" : "text"}
                step={kind === "number" ? "any" : undefined}
                className={inputClass}
                onChange={(e) => onDraft({ ...draft, [name]: e.target.value })}
              />
            )}
            {error ? (
              <p id={`${id}-error`} role="alert" className="mt-1 text-xs font-medium text-red-700">
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
    </fieldset>
  );
}

/** old → new, one line per changed param. */
export function ParamsDiff({ changes, testId = "amend-diff" }: { changes: ParamChange[]; testId?: string }) {
  return (
    <ul className="space-y-1 font-mono text-xs" data-testid={testId}>
      {changes.map((c) => (
        <li key={c.name} className="break-words [overflow-wrap:anywhere]" data-testid="amend-change" data-name={c.name}>
          <span className="font-medium text-zinc-800">
            <VisibleText text={c.name} />
          </span>
          <span className="text-zinc-500">: </span>
          <del className="rounded bg-red-50 px-1 text-red-800">{c.before === null ? "(absent)" : <VisibleText text={c.before} />}</del>
          <span className="px-1 text-zinc-500">→</span>
          <ins className="rounded bg-emerald-50 px-1 text-emerald-800 no-underline">{c.after === null ? "(removed)" : <VisibleText text={c.after} />}</ins>
        </li>
      ))}
    </ul>
  );
}
