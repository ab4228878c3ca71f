import { z } from "../schemas/zod.ts";
import { containmentEnabled, DenialRateRule, RequestRateRule } from "./rules.ts";
import type { StoredContainment } from "./settings.ts";

/** What `GET` and `PUT /api/v1/admin/containment` answer. */
export const ContainmentView = z
  .object({
    enabled: z.boolean().openapi({ description: "True when at least one rule is set." }),
    request_rate: RequestRateRule.nullable(),
    denial_rate: DenialRateRule.nullable(),
    agents: z
      .object({ names: z.array(z.string()), tags: z.array(z.string()) })
      .nullable()
      .openapi({ description: "The agents the rules apply to (a name or a tag in common); null: every agent." }),
    updated_at: z
      .string()
      .nullable()
      .openapi({ format: "date-time", description: "When the rules were last saved; null if never.", example: "2026-11-25T13:00:00.000Z" }),
  })
  .openapi("Containment", {
    description:
      "Automatic containment: rules that suspend an agent (the kill switch, as `system`) when its request rate or denial rate crosses a threshold. The `agent.suspended` audit event carries the reason and a `containment` object (rule, observed, threshold, window_seconds).",
  });
export type ContainmentView = z.infer<typeof ContainmentView>;

export function toContainmentView(s: StoredContainment): ContainmentView {
  return {
    enabled: containmentEnabled(s.config),
    request_rate: s.config.request_rate,
    denial_rate: s.config.denial_rate,
    agents: s.config.agents,
    updated_at: s.updatedAt?.toISOString() ?? null,
  };
}
