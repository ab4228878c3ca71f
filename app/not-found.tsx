import type { Metadata } from "next";
import Link from "next/link";
import { primaryAction, secondaryAction, StatusPage } from "@/components/ui/status-page";

export const metadata: Metadata = { title: "Not found" };

export default function NotFound() {
  return (
    <StatusPage
      code="404"
      title="This page does not exist"
      actions={
        <>
          <Link href="/" className={primaryAction}>
            Go to the queue
          </Link>
          <Link href="/history" className={secondaryAction}>
            History
          </Link>
        </>
      }
    >
      The address may be mistyped, or what it named was removed. Requests you may not see are reported as missing too.
    </StatusPage>
  );
}
