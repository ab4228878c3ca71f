"use client";

import { useState } from "react";
import { Button, inputClass } from "@/components/admin/ui";
import { Card } from "@/components/ui/card";
import { LoadError } from "@/components/ui/load-error";
import { Notice } from "@/components/ui/notice";
import { useApplyRetention, useRetention, useSetRetention } from "./audit-api";

/**
 * How long events are kept. Nothing is deleted unless an admin sets a
 * policy; deletions cut the chain's start only, and are chained events.
 */
export function RetentionCard({ canEdit }: { canEdit: boolean }) {
  const { data, error, refetch } = useRetention();
  const save = useSetRetention();
  const apply = useApplyRetention();
  const [days, setDays] = useState("");

  const parsed = Number(days);
  const valid = Number.isInteger(parsed) && parsed >= 1 && parsed <= 36_500;
  return (
    <Card className="mt-8" title="Retention">
      {error && !data ? (
        <LoadError what="the retention policy" message={error.message} onRetry={() => void refetch()} />
      ) : !data ? (
        <p className="text-sm text-zinc-500">Loading…</p>
      ) : (
        <div className="space-y-3 text-sm">
          <p data-testid="retention-policy" className="text-zinc-700">
            {data.days === null ? (
              <>Events are kept forever: nothing is ever deleted.</>
            ) : (
              <>
                Events are kept <strong>{data.days} days</strong>. Older ones are deleted from the start of the chain with each checkpoint, and each deletion is
                itself a chained event.
              </>
            )}{" "}
            {data.chain_start_seq > 1 ? <>The stored chain starts at event {data.chain_start_seq}.</> : null}
          </p>
          {canEdit ? (
            <form
              className="flex flex-wrap items-end gap-2"
              onSubmit={(e) => {
                e.preventDefault();
                if (valid) save.mutate(parsed, { onSuccess: () => setDays("") });
              }}
            >
              <div>
                <label htmlFor="retention-days" className="mb-1 block text-xs font-medium text-zinc-600">
                  Keep events for (days)
                </label>
                <input
                  id="retention-days"
                  inputMode="numeric"
                  value={days}
                  onChange={(e) => setDays(e.target.value.trim())}
                  placeholder={data.days ? String(data.days) : "365"}
                  className={`${inputClass} w-32`}
                />
              </div>
              <Button type="submit" variant="primary" busy={save.isPending} disabled={!valid}>
                Set policy
              </Button>
              {data.days !== null ? (
                <>
                  <Button onClick={() => save.mutate(null)} busy={save.isPending}>
                    Keep forever
                  </Button>
                  <Button onClick={() => apply.mutate()} busy={apply.isPending}>
                    Apply now
                  </Button>
                </>
              ) : null}
            </form>
          ) : null}
          {save.error ? <Notice tone="error">{save.error.message}</Notice> : null}
          {apply.error ? <Notice tone="error">{apply.error.message}</Notice> : null}
          {apply.data ? (
            <p role="status" className="text-zinc-600">
              {apply.data.deleted
                ? `Deleted events ${apply.data.from_seq} to ${apply.data.through_seq}; the deletion is recorded in the chain.`
                : "Nothing is old enough to delete."}
            </p>
          ) : null}
        </div>
      )}
    </Card>
  );
}
