"use client";

import { useState } from "react";
import { Notice } from "../ui/notice";
import { Button, FormField, inputClass } from "./ui";

export interface AgentFormValues {
  name: string;
  description: string;
  owner: string;
  trust_level: string;
  tags: string[];
  key_expires_in_days: number | null;
}

const splitTags = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);

/**
 * Creates an agent (`mode="create"`, with a name and first-key expiry) or edits
 * its metadata (`mode="edit"`). Trust level is free text with the usual words offered.
 */
export function AgentForm({
  mode,
  initial,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  mode: "create" | "edit";
  initial?: Partial<AgentFormValues>;
  busy: boolean;
  error: string | null;
  onSubmit(values: AgentFormValues): void;
  onCancel(): void;
}) {
  const [name, setName] = useState(initial?.name ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [owner, setOwner] = useState(initial?.owner ?? "");
  const [trust, setTrust] = useState(initial?.trust_level ?? "standard");
  const [tags, setTags] = useState((initial?.tags ?? []).join(", "));
  const [expiry, setExpiry] = useState("");
  const id = (f: string) => `agent-${mode}-${f}`;

  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit({
          name: name.trim(),
          description: description.trim(),
          owner: owner.trim(),
          trust_level: trust.trim() || "standard",
          tags: splitTags(tags),
          key_expires_in_days: expiry ? Number(expiry) : null,
        });
      }}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        {mode === "create" ? (
          <FormField label="Name" htmlFor={id("name")} hint="a-z, 0-9, - _ . — how policy rules and reviewers see it">
            <input
              id={id("name")}
              required
              pattern="[a-z0-9][a-z0-9_.\-]{0,63}"
              value={name}
              onChange={(e) => setName(e.target.value)}
              className={inputClass}
              placeholder="billing-agent"
              autoComplete="off"
            />
          </FormField>
        ) : null}
        <FormField label="Owner" htmlFor={id("owner")} hint="The person or team accountable for it (email)">
          <input
            id={id("owner")}
            type="email"
            value={owner}
            onChange={(e) => setOwner(e.target.value)}
            className={inputClass}
            placeholder="team-lead@example.com"
          />
        </FormField>
        <FormField label="Trust level" htmlFor={id("trust")} hint="low, standard, high, or your own word">
          <input id={id("trust")} list={id("trust-levels")} value={trust} onChange={(e) => setTrust(e.target.value)} className={inputClass} maxLength={32} />
          <datalist id={id("trust-levels")}>
            <option value="low" />
            <option value="standard" />
            <option value="high" />
          </datalist>
        </FormField>
        <FormField label="Tags" htmlFor={id("tags")} hint="Separated by commas or spaces">
          <input id={id("tags")} value={tags} onChange={(e) => setTags(e.target.value)} className={inputClass} placeholder="finance, support" />
        </FormField>
        {mode === "create" ? (
          <FormField label="First key expires after (days)" htmlFor={id("expiry")} hint="Leave empty for no expiry">
            <input id={id("expiry")} type="number" min={1} max={3650} value={expiry} onChange={(e) => setExpiry(e.target.value)} className={inputClass} />
          </FormField>
        ) : null}
      </div>
      <FormField label="Purpose" htmlFor={id("description")}>
        <textarea
          id={id("description")}
          rows={2}
          maxLength={1000}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          className={inputClass}
          placeholder="What it does, for whom"
        />
      </FormField>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <div className="flex justify-end gap-2">
        <Button onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" busy={busy}>
          {mode === "create" ? "Create agent" : "Save"}
        </Button>
      </div>
    </form>
  );
}
