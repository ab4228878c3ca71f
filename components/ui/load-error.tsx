import { Notice } from "./notice";

export function LoadError({ what, message, onRetry }: { what: string; message: string; onRetry(): void }) {
  return (
    <Notice tone="error">
      <span>
        Could not load {what}: {message}{" "}
        <button type="button" onClick={onRetry} className="font-medium underline underline-offset-2">
          Try again
        </button>
      </span>
    </Notice>
  );
}
