import { describe, expect, it } from "vitest";
import { type HubEvent, NotificationHub } from "./hub.ts";

const change = (id: string) => ({ kind: "request" as const, id, agent_id: "agt_1", status: "approved" as const });

describe("the hub's subscribers to one request", () => {
  it("hear only their request, each subscription once, and leave once however often they unsubscribe", () => {
    const hub = new NotificationHub("postgres://unused");
    const heard: string[] = [];
    const listener = (e: HubEvent) => heard.push(e.kind === "resync" ? "resync" : e.id);
    const a1 = hub.onRequest("req_a", listener);
    const a2 = hub.onRequest("req_a", listener);
    const b = hub.onRequest("req_b", (e) => heard.push(`b:${e.kind}`));
    expect(hub.waiterCount()).toBe(3);

    hub.deliver(change("req_a"));
    expect(heard).toEqual(["req_a", "req_a"]);

    a1();
    a1();
    expect(hub.waiterCount()).toBe(2);
    hub.deliver(change("req_a"));
    hub.deliver(change("req_c"));
    expect(heard).toEqual(["req_a", "req_a", "req_a"]);

    a2();
    b();
    expect(hub.waiterCount()).toBe(0);
    hub.deliver(change("req_a"));
    hub.deliver(change("req_b"));
    expect(heard).toHaveLength(3);
  });

  it("are all woken with resync at shutdown, and one that unsubscribes while woken does not cost another its wake-up", async () => {
    const hub = new NotificationHub("postgres://unused");
    const woken: string[] = [];
    const subs = Array.from({ length: 1000 }, (_, i) => {
      const off = hub.onRequest(`req_${i % 10}`, (e) => {
        woken.push(`${i}:${e.kind}`);
        off();
      });
      return off;
    });
    expect(subs).toHaveLength(1000);
    await hub.close();
    expect(woken).toHaveLength(1000);
    expect(woken.every((w) => w.endsWith(":resync"))).toBe(true);
    expect(hub.waiterCount()).toBe(0);
  });
});
