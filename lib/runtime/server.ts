import "server-only";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { existsSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import next from "next";
import { flushRefusals } from "../audit/aggregate-refusals.ts";
import { applyDeliveryRetention } from "../delivery/retention.ts";
import { ensureAllPartitions } from "../partitions.ts";
import { dropOldRiskHistory } from "../risk/history-retention.ts";
import { pruneApprovalHistory } from "../history/approval-history.ts";
import { pruneShadowHits } from "../policy/shadow-hits.ts";
import { startSealer, stopSealer } from "../audit/sealer.ts";
import { startCheckpointTimer } from "../audit/checkpoints.ts";
import { disconnectDb, onPeopleLane } from "../db.ts";
import { personServed } from "../limits/people-first.ts";
import { env, publicUrl } from "../env.ts";
import { startDelivery } from "../delivery/runtime.ts";
import { closeHub } from "../events/hub.ts";
import { logger } from "../logger.ts";
import { metrics } from "../metrics.ts";
import { processWaitCap } from "../limits/wait-slots.ts";
import { sweepExpired } from "../requests/sweep-expired.ts";
import { sweepReminders } from "../notifications/reminders.ts";
import { dropExpiredDecisionLinks } from "../notifications/decision-links.ts";
import { serverTiming, timingCall } from "../http/call-timing.ts";
import { problem } from "../http/problem.ts";
import { requestTargetProblem } from "../http/request-target.ts";
import { methodNotAllowed, Router, runRoute } from "../http/router.ts";
import { ROUTES } from "../routes/index.ts";
import { authRoute } from "../auth/auth-route.ts";
import { currentSession } from "../auth/current-session.ts";
import { encodePrincipal, PRINCIPAL_HEADER } from "../auth/principal-header.ts";
import { PROJECT_ROOT } from "./migrate.ts";
import { sendResponse, toWebRequest } from "./node-bridge.ts";

/** The page where a signed-in user changes their password (app/settings/password). */
const CHANGE_PASSWORD_PAGE = "/settings/password";
/** Pages and files a user with a one-time password may still load besides that page. */
const OPEN_WITH_ONE_TIME_PASSWORD = new Set(["/icon.svg", "/favicon.ico", "/signin"]);

export interface RunningServer {
  server: Server;
  url: string;
  /** Graceful: stop accepting, answer waiting agents with their current state, drain, close. */
  close(): Promise<void>;
}

/** Builds the production bundle when there is none yet, so `npm start` works on a fresh checkout. */
export function ensureBuilt(): void {
  if (existsSync(path.join(PROJECT_ROOT, process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) return;
  console.log("No production build found: building once (this takes a minute)...");
  const nextBin = path.join(PROJECT_ROOT, "node_modules", "next", "dist", "bin", "next");
  const result = spawnSync(process.execPath, [nextBin, "build"], { cwd: PROJECT_ROOT, stdio: "inherit", env: process.env });
  if (result.status !== 0) throw new Error("next build failed");
}

/**
 * The hourly partition job: partitions ahead first (inserts must find their
 * month), then retention of deliveries and of the risk history. Each part
 * failing is logged and retried the next hour.
 */
async function partitionJob(): Promise<void> {
  await ensureAllPartitions().catch((err: Error) => logger.warn({ err: err.message }, "creating partitions failed"));
  await applyDeliveryRetention().catch((err: Error) => logger.warn({ err: err.message }, "delivery retention failed"));
  await dropOldRiskHistory().catch((err: Error) => logger.warn({ err: err.message }, "risk history retention failed"));
}

export async function startServer(options: { dev?: boolean } = {}): Promise<RunningServer> {
  const e = env();
  // Next builds request URLs (and Auth.js its redirects) from this hostname, so
  // it is the public one, not the address the server binds to.
  process.env.AUTH_URL ??= publicUrl();
  const app = next({ dev: options.dev ?? false, dir: PROJECT_ROOT, hostname: new URL(publicUrl()).hostname, port: e.PORT });
  await app.prepare();
  const handle = app.getRequestHandler();
  const origin = `http://${new URL(publicUrl()).host}`;
  const publicOrigin = new URL(publicUrl()).origin;
  const router = new Router(ROUTES);
  const server = createServer((req, res) => {
    void serve(req, res).catch(() => res.destroy());
  });

  /**
   * Every API call is answered here from the route table; Auth.js has
   * /api/auth/*; everything else is a page, rendered by Next.js with the
   * signed-in user resolved here (lib/auth/principal-header.ts).
   */
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const bad = requestTargetProblem(url);
    if (bad) {
      // A path that does not decode names nothing (like any malformed id: 404); a query value that does not is invalid input.
      const answer =
        bad.path === "(path)"
          ? problem("not_found", `no resource has this address: ${bad.message}`, { errors: [bad] })
          : problem("validation_failed", `the query is not acceptable: ${bad.message}`, { errors: [bad] });
      return sendResponse(res, answer);
    }
    const qs = url.indexOf("?");
    const pathname = qs === -1 ? url : url.slice(0, qs);
    const method = req.method ?? "GET";
    const match = router.match(method, pathname);
    if ("route" in match) {
      const started = performance.now();
      const timing = { db: 0, pool: 0 };
      const response = await timingCall(timing, () => runRoute(match.route, toWebRequest(req, res, origin), match.params));
      // The app's own time, apart from the network's and the client's.
      const seconds = (performance.now() - started) / 1000;
      if (!match.route.streams) res.setHeader("server-timing", serverTiming(seconds * 1000, timing));
      metrics().callDuration.observe({ method, route: match.route.path, status: String(response.status) }, seconds);
      return sendResponse(res, response, { stream: match.route.streams });
    }
    if (match.allow.length > 0) return sendResponse(res, methodNotAllowed(match.allow));
    if (pathname === "/api" || (pathname.startsWith("/api/") && !pathname.startsWith("/api/auth/")) || pathname.startsWith("/.well-known/")) {
      return sendResponse(res, problem("not_found", "no resource has this address"));
    }
    // Sign-in and pages are people's: on their own connection pool, never queued behind agents.
    await onPeopleLane(() => servePeople(req, res, pathname));
  }

  async function servePeople(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    // On the public origin, so Auth.js's cookies and redirects are those of the address people use.
    if (pathname.startsWith("/api/auth/")) return sendResponse(res, await authRoute(toWebRequest(req, res, publicOrigin)));
    // A page: Next.js renders it, with the signed-in user set here (replacing any the client sent).
    delete req.headers[PRINCIPAL_HEADER];
    let served: (() => void) | undefined;
    if (!pathname.startsWith("/_next/")) {
      const session = await currentSession(new Headers({ cookie: req.headers.cookie ?? "" })).catch(() => null);
      if (session) req.headers[PRINCIPAL_HEADER] = encodePrincipal(session.user);
      // A one-time password (invite, reset, first admin) is changed before anything else is shown.
      if (session?.user.mustChangePassword && pathname !== CHANGE_PASSWORD_PAGE && !OPEN_WITH_ONE_TIME_PASSWORD.has(pathname)) {
        res.writeHead(303, { location: CHANGE_PASSWORD_PAGE, "cache-control": "no-store" });
        res.end();
        return;
      }
      // A signed-in person's page: agents' work yields to it while it renders (lib/limits/people-first.ts).
      if (session) served = personServed();
    }
    try {
      await handle(req, res);
    } finally {
      served?.();
    }
  }

  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(e.PORT, e.HOST, () => resolve());
  });

  const waits = processWaitCap();
  if (waits.effective < waits.configured) {
    logger.warn(
      { configured: waits.configured, effective: waits.effective, openFileLimit: waits.fileLimit },
      `holding at most ${waits.effective} long-waits, not COUNTERSIGN_MAX_WAITS=${waits.configured}: the open-file limit is ${waits.fileLimit}; raise it (ulimit -n) to hold more`,
    );
  }

  // Chains committed audit events (one leader across instances; lib/audit/sealer.ts).
  startSealer();
  // Monthly partitions exist ahead of time (also made at migration); hourly keeps that true on long runs,
  // and drops the months of deliveries and risk history that retention lets go (each detached concurrently).
  // Spent email decision links go with the same hourly job.
  const partitions = setInterval(() => {
    void partitionJob();
    dropExpiredDecisionLinks().catch((err: Error) => logger.warn({ err: err.message }, "dropping expired decision links failed"));
    pruneApprovalHistory().catch((err: Error) => logger.warn({ err: err.message }, "approval history retention failed"));
    pruneShadowHits().catch((err: Error) => logger.warn({ err: err.message }, "shadow hit pruning failed"));
  }, 3_600_000);
  partitions.unref();
  const sweeper = setInterval(() => {
    sweepExpired().catch((err: Error) => logger.warn({ err: err.message }, "expiry sweep failed"));
    sweepReminders().catch((err: Error) => logger.warn({ err: err.message }, "reminder sweep failed"));
    flushRefusals().catch((err: Error) => logger.warn({ err: err.message }, "refusal summary flush failed"));
  }, e.COUNTERSIGN_SWEEP_INTERVAL_SECONDS * 1000);
  sweeper.unref();
  // Webhooks, agent callbacks and SIEM streaming, from the audit log (lib/delivery).
  const delivery = startDelivery();
  const stopCheckpoints = startCheckpointTimer(e.COUNTERSIGN_AUDIT_CHECKPOINT_SECONDS, (err) => logger.warn({ err: err.message }, "audit checkpoint failed"));

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(sweeper);
      clearInterval(partitions);
      await delivery.stop();
      stopCheckpoints();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Waking the hub makes every long-waiting agent answer with its current state now.
      await closeHub();
      // Kept-alive connections go idle as their last answers are sent: close each then, not after the grace period.
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      await Promise.race([drained, new Promise((r) => setTimeout(r, 10_000).unref())]);
      clearInterval(idle);
      server.closeAllConnections();
      await app.close?.();
      await stopSealer();
      await disconnectDb();
    })());
  return { server, url: publicUrl(), close };
}
