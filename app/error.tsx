"use client";

import { useEffect } from "react";
import { primaryAction, secondaryAction, StatusPage } from "@/components/ui/status-page";

/** A page failed to render: say so plainly, offer a retry; the digest lets an operator find the server's log line. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    document.title = "Something went wrong · Countersign";
  }, []);
  return (
    <StatusPage
      code="Error"
      title="Something went wrong"
      actions={
        <>
          <button type="button" onClick={reset} className={primaryAction}>
            Try again
          </button>
          {/* A full load: the failure may have been in the client's state. */}
          <a href="/" className={secondaryAction}>
            Go to the queue
          </a>
        </>
      }
    >
      This page could not be shown. Nothing you did was lost: decisions are saved only when the server confirms them.
      {error.digest ? <span className="mt-2 block font-mono text-xs text-zinc-400">Reference {error.digest}</span> : null}
    </StatusPage>
  );
}
