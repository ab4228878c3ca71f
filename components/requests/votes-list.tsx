import { formatDateTime } from "../format";
import { CheckIcon, XIcon } from "../ui/icons";
import type { ReviewItem } from "@/lib/schemas/review";

/** Every reviewer's vote, with the reason they gave. */
export function VotesList({ votes }: { votes: ReviewItem["votes"] }) {
  if (votes.length === 0) return <p className="text-sm text-zinc-400">No votes yet</p>;
  return (
    <ul className="space-y-3" data-testid="votes">
      {votes.map((v, i) => (
        <li key={`${v.reviewer}-${i}`} className="flex gap-3">
          <span
            className={`mt-0.5 flex size-5 shrink-0 items-center justify-center rounded-full ${v.decision === "approve" ? "bg-emerald-100 text-emerald-700" : "bg-red-100 text-red-700"}`}
          >
            {v.decision === "approve" ? <CheckIcon className="size-3" /> : <XIcon className="size-3" />}
          </span>
          <div className="min-w-0 text-sm">
            <p className="text-zinc-900">
              <span className="font-medium">{v.reviewer}</span> <span className="text-zinc-500">{v.decision === "approve" ? "approved" : "denied"}</span>
            </p>
            {v.decision === "approve" && !v.counts ? (
              <p className="mt-0.5 text-xs text-amber-800" data-testid="vote-superseded">
                Approved params since amended: no longer counts
              </p>
            ) : null}
            {v.reason ? <p className="mt-0.5 whitespace-pre-wrap break-words text-zinc-700">{v.reason}</p> : null}
            <p className="mt-0.5 text-xs text-zinc-400">{formatDateTime(v.at)}</p>
          </div>
        </li>
      ))}
    </ul>
  );
}
