"use client";

import { useState } from "react";
import { CheckIcon, KeyIcon } from "../ui/icons";
import { Button } from "./ui";

/** A secret shown once (an agent key, a one-time password), with a copy button. */
export function OneTimeSecret({ label, value, onDone, note, testId }: { label: string; value: string; onDone(): void; note?: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="rounded-xl border border-amber-200 bg-amber-50 p-4" data-testid={testId ?? "one-time-secret"}>
      <p className="flex items-center gap-2 text-sm font-semibold text-amber-900">
        <KeyIcon className="size-4" /> {label}
      </p>
      <p className="mt-1 text-sm text-amber-900/80">{note ?? "Shown once: copy it now. Countersign keeps only a hash and cannot show it again."}</p>
      <div className="mt-3 flex flex-col gap-2 sm:flex-row">
        <code
          data-testid={testId ? `${testId}-value` : "secret-value"}
          className="min-w-0 flex-1 break-all rounded-lg border border-amber-200 bg-white px-3 py-2 font-mono text-xs text-zinc-900 select-all"
        >
          {value}
        </code>
        <div className="flex gap-2">
          <Button
            onClick={() => {
              void navigator.clipboard?.writeText(value).then(
                () => setCopied(true),
                () => setCopied(false),
              );
            }}
          >
            {copied ? <CheckIcon className="size-4" /> : null}
            {copied ? "Copied" : "Copy"}
          </Button>
          <Button variant="primary" onClick={onDone}>
            Done
          </Button>
        </div>
      </div>
    </div>
  );
}
