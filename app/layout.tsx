import type { Metadata, Viewport } from "next";
import { DashboardShell, OneTimePasswordShell } from "./_review/dashboard-shell";
import { signedInUser } from "./_review/require-reviewer";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Countersign", template: "%s · Countersign" },
  description: "Human approval gateway for AI agents",
};
export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#fafafa" },
    { media: "(prefers-color-scheme: dark)", color: "#09090b" },
  ],
};

/**
 * Signed-in people get the dashboard frame; everyone else sees the page bare
 * (the sign-in page). Each dashboard page still checks the session itself and
 * redirects to sign-in, so the frame is presentation, not access control.
 */
export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const reviewer = await signedInUser();
  return (
    <html lang="en">
      <body className="min-h-screen bg-zinc-50 font-sans text-zinc-900 antialiased">
        {reviewer?.mustChangePassword ? (
          <OneTimePasswordShell>{children}</OneTimePasswordShell>
        ) : reviewer ? (
          <DashboardShell reviewer={reviewer}>{children}</DashboardShell>
        ) : (
          children
        )}
      </body>
    </html>
  );
}
