"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { call } from "@/app/admin/_admin/admin-api";
import type { RotatedSecret } from "@/lib/schemas/webhooks";
import { Notice } from "../ui/notice";
import { OneTimeSecret } from "./one-time-secret";
import { Button } from "./ui";

const NOTE =
  "Shown once: copy it now. It signs the request.decided webhook sent to the callback_url of this agent's requests (Standard Webhooks); the agent verifies with it.";

/** The callback secret handed out when an agent is created, beside its key (the key's Done hides both). */
export function CallbackSecretNote({ secret }: { secret: string }) {
  return (
    <div className="rounded-xl border border-amber-200 bg-amber-50 p-4" data-testid="callback-secret">
      <p className="text-sm font-semibold text-amber-900">Callback secret</p>
      <p className="mt-1 text-sm text-amber-900/80">{NOTE}</p>
      <code
        data-testid="callback-secret-value"
        className="mt-3 block break-all rounded-lg border border-amber-200 bg-white px-3 py-2 font-mono text-xs text-zinc-900 select-all"
      >
        {secret}
      </code>
    </div>
  );
}

/** Replaces an agent's callback secret and shows the new one once. */
export function RotateCallbackSecret({ agentId }: { agentId: string }) {
  const [secret, setSecret] = useState<string | null>(null);
  const rotate = useMutation({
    mutationFn: () => call<RotatedSecret>(`/api/v1/admin/agents/${encodeURIComponent(agentId)}/callback-secret`, { method: "POST" }),
  });
  return (
    <div className="space-y-3 border-t border-zinc-100 pt-4">
      {secret ? <OneTimeSecret label="New callback secret" value={secret} note={NOTE} onDone={() => setSecret(null)} /> : null}
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-xs text-zinc-500">The callback secret signs decisions sent to a request&apos;s callback_url. Rotating replaces it at once.</p>
        <Button busy={rotate.isPending} onClick={() => rotate.mutate(undefined, { onSuccess: (r) => setSecret(r.secret) })}>
          Rotate callback secret
        </Button>
      </div>
      {rotate.error ? <Notice tone="error">{rotate.error.message}</Notice> : null}
    </div>
  );
}
