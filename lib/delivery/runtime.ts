import "server-only";
import { hub } from "../events/hub.ts";
import { logger } from "../logger.ts";
import { deliveryConfig } from "./config.ts";
import { dispatchWebhooks, ensureCursor, WEBHOOK_CURSOR } from "./dispatch.ts";
import { forwardToSink } from "./siem.ts";
import { dispatchEmails, EMAIL_CURSOR } from "../notifications/dispatch-email.ts";
import { closeSmtp } from "../notifications/smtp.ts";
import { slackConfig } from "../slack/config.ts";
import { dispatchSlack, SLACK_CURSOR } from "../slack/dispatch-slack.ts";
import { deliverDue, sendClaimed } from "./worker.ts";

export interface DeliveryRuntime {
  /** Runs a pass now (coalesced with one in progress). */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Event delivery in this app process: woken by the notification hub on every
 * request change (the events that matter most), and by a slow safety timer for
 * everything else (admin changes, retries that came due, other instances'
 * work). Each pass dispatches new audit events into deliveries, sends the due
 * deliveries and forwards new events to each SIEM sink. Passes never overlap
 * in a process; wake-ups during a pass run one more pass, 50 ms after it.
 */
const COALESCE_MS = 50;
let started: DeliveryRuntime | undefined;

/** Runs a delivery pass now in this process, if its runtime is started (after an admin queues a test or a retry). */
export function wakeDelivery(): void {
  started?.wake();
}

export function startDelivery(): DeliveryRuntime {
  const runtime = createRuntime();
  started = runtime;
  return runtime;
}

function createRuntime(): DeliveryRuntime {
  const config = deliveryConfig();
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let ready = false;
  // Webhooks and callbacks always; email only where SMTP is configured (its cursor waits for such an instance).
  // Slack likewise only where its app is configured.
  const slack = slackConfig();
  const dispatchers = [dispatchWebhooks, ...(config.email ? [dispatchEmails] : []), ...(slack ? [dispatchSlack] : [])];

  const pass = async () => {
    if (!ready) {
      await ensureCursor(WEBHOOK_CURSOR);
      for (const sink of config.sinks) await ensureCursor(sink.id);
      if (config.email) await ensureCursor(EMAIL_CURSOR);
      if (slack) await ensureCursor(SLACK_CURSOR);
      ready = true;
    }
    for (const dispatch of dispatchers) {
      for (;;) {
        // New deliveries come back already leased to this process: send them at once, no second claim.
        const { read, claimed } = await dispatch({ claim: true });
        if (claimed.length) await sendClaimed(claimed, new Date(), config);
        if (read < 500) break;
      }
    }
    while ((await deliverDue({ config, limit: 50 })) > 0 && !stopped) {
      // keep sending while there is due work
    }
    for (const sink of config.sinks) await forwardToSink(sink, { config });
  };

  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      for (;;) {
        again = false;
        await pass().catch((err: Error) => logger.warn({ err: err.message }, "event delivery pass failed"));
        if (!again || stopped) break;
        // Under load, wake-ups arrive faster than passes finish: gather them for a moment so each
        // pass reads and sends a larger batch (fewer transactions per event), at ≤ 50 ms of latency.
        await new Promise((resolve) => setTimeout(resolve, COALESCE_MS));
      }
    })().finally(() => (running = undefined));
  };

  // Deliveries come from the chained audit log: woken when the sealer chains more of it.
  const unsubscribe = hub().onAuditSealed(() => wake());
  void hub()
    .ready()
    .catch(() => {});
  const timer = setInterval(wake, config.intervalMs);
  timer.unref();
  wake();

  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      await running;
      closeSmtp();
    },
  };
}
