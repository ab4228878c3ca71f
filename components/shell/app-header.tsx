import Link from "next/link";
import { BellIcon, KeyIcon, LogoMark } from "../ui/icons";
import { NavLinks } from "./nav-links";
import { SignOutButton } from "./sign-out-button";

interface AppHeaderProps {
  reviewer: { email: string; role: string };
  queueCount: React.ReactNode;
  live: React.ReactNode;
}

export function AppHeader({ reviewer, queueCount, live }: AppHeaderProps) {
  return (
    <header className="sticky top-0 z-20 border-b border-zinc-200 bg-white/85 backdrop-blur supports-[backdrop-filter]:bg-white/70">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-1 px-4 py-2 sm:px-6">
        <Link href="/" className="flex h-10 items-center gap-2 font-semibold tracking-tight text-zinc-900">
          <span className="flex size-7 items-center justify-center rounded-lg bg-zinc-900 text-white">
            <LogoMark className="size-4" />
          </span>
          Countersign
        </Link>
        <div className="order-last -mx-2 w-full pb-1 md:order-none md:mx-0 md:w-auto md:pb-0">
          <NavLinks queueCount={queueCount} role={reviewer.role} />
        </div>
        <div className="ml-auto flex items-center gap-3 sm:gap-4">
          {live}
          <Link
            href="/settings/notifications"
            aria-label="Notification settings"
            title="Notification settings"
            className="flex size-8 items-center justify-center rounded-md text-zinc-500 transition-colors hover:bg-zinc-50 hover:text-zinc-900"
          >
            <BellIcon />
          </Link>
          <Link
            href="/settings/password"
            aria-label="Change password"
            title="Change password"
            className="flex size-8 items-center justify-center rounded-md text-zinc-500 transition-colors hover:bg-zinc-50 hover:text-zinc-900"
          >
            <KeyIcon />
          </Link>
          <div className="hidden text-right leading-tight sm:block">
            <p className="text-sm text-zinc-900" data-testid="signed-in-as">
              {reviewer.email}
            </p>
            <p className="text-xs capitalize text-zinc-500">{reviewer.role}</p>
          </div>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}

/** The header without navigation: the logo and sign-out (while a one-time password must be changed). */
export function BareHeader() {
  return (
    <header className="sticky top-0 z-20 border-b border-zinc-200 bg-white/85 backdrop-blur supports-[backdrop-filter]:bg-white/70">
      <div className="mx-auto flex max-w-7xl items-center gap-6 px-4 py-2 sm:px-6">
        <span className="flex h-10 items-center gap-2 font-semibold tracking-tight text-zinc-900">
          <span className="flex size-7 items-center justify-center rounded-lg bg-zinc-900 text-white">
            <LogoMark className="size-4" />
          </span>
          Countersign
        </span>
        <div className="ml-auto">
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
