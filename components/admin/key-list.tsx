import { formatAgo, formatShortDateTime } from "../format";
import { KeyIcon } from "../ui/icons";
import type { KeyObject } from "@/lib/schemas/admin-objects";
import { Button } from "./ui";

function KeyState({ k, now }: { k: KeyObject; now: number | null }) {
  if (k.revoked_at) return <span className="rounded-full bg-zinc-100 px-2 py-0.5 text-xs font-medium text-zinc-600">Revoked</span>;
  if (!k.live || (k.expires_at && now !== null && new Date(k.expires_at).getTime() <= now)) {
    return <span className="rounded-full bg-zinc-100 px-2 py-0.5 text-xs font-medium text-zinc-600">Expired</span>;
  }
  return <span className="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-800 ring-1 ring-inset ring-emerald-600/20">Live</span>;
}

/** An agent's keys: id and dates only (the secret was shown once, at issue). */
export function KeyList({
  keys,
  now,
  canEdit,
  revoking,
  onRevoke,
}: {
  keys: KeyObject[];
  now: number | null;
  canEdit: boolean;
  revoking: string | null;
  onRevoke(id: string): void;
}) {
  if (keys.length === 0) return <p className="text-sm text-zinc-500">No keys.</p>;
  return (
    <ul className="-my-2 divide-y divide-zinc-100" data-testid="key-list">
      {keys.map((k) => (
        <li key={k.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3" data-testid="key-row" data-key-id={k.id} data-live={k.live}>
          <div className="min-w-0 flex-1">
            <p className="flex items-center gap-2">
              <KeyIcon className="size-3.5 shrink-0 text-zinc-400" />
              <code className="truncate font-mono text-sm text-zinc-900">csk_{k.id}_…</code>
              <KeyState k={k} now={now} />
            </p>
            <p className="mt-1 text-xs text-zinc-500">
              Created {formatShortDateTime(k.created_at)}
              {" · "}
              {k.expires_at ? `expires ${formatShortDateTime(k.expires_at)}` : "no expiry"}
              {" · "}
              {k.last_used_at ? `last used ${now === null ? formatShortDateTime(k.last_used_at) : formatAgo(k.last_used_at, now)}` : "never used"}
              {k.revoked_at ? ` · revoked ${formatShortDateTime(k.revoked_at)}` : ""}
            </p>
          </div>
          {canEdit && !k.revoked_at ? (
            <Button variant="dangerOutline" busy={revoking === k.id} onClick={() => onRevoke(k.id)} aria-label={`Revoke key ${k.id}`}>
              Revoke
            </Button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
