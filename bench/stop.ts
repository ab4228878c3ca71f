import type { TestApp } from "../test/support/test-server.ts";

/**
 * Stops the app (SIGTERM, graceful), but never waits forever: after
 * `graceMs` the process is killed by its pid, so a hung shutdown cannot
 * keep the benchmark (and its database) alive.
 */
export async function stopBounded(app: TestApp, log: (line: string) => void, graceMs = 30_000): Promise<void> {
  const child = app.process;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
  const stopped = app.stop().then(
    () => false,
    (e: Error) => {
      log(`app stop failed: ${e.message}`);
      return false;
    },
  );
  const hung = await Promise.race([stopped, timedOut]);
  clearTimeout(timer);
  if (hung && child.exitCode === null && child.signalCode === null) {
    log(`the app (pid ${child.pid}) did not exit within ${graceMs / 1000} s of SIGTERM; killing it`);
    child.kill("SIGKILL");
    await stopped;
  }
}
