import { z } from "./zod.ts";

export const RiskFlag = z
  .object({
    code: z
      .enum(["first_action", "rate_spike", "unusual_amount", "new_on_behalf_of", "new_environment", "low_confidence", "hidden_characters", "sensitive_action"])
      .openapi({
        description:
          "`first_action`: the agent was never approved for this action; `rate_spike`: far more requests in the last 10 minutes than its 7-day hourly median; `unusual_amount`: a numeric parameter far above (or outside) what was approved before for this agent and action; `new_on_behalf_of`: acting for someone none of its approved requests was for; `new_environment`: an `environment.name` or `.runtime` not seen in its approved requests; `low_confidence`: the agent's stated confidence is below the configured threshold; `hidden_characters`: agent text a reviewer reads (params keys and values, summary, justification, resource, context) holds bidi controls, zero-width, tag or control characters that display differently from what is bound (the explanation names the fields and characters); `sensitive_action`: an admin marked the action (or a pattern covering it) as low, medium, high or critical at stake, which puts a floor under the score.",
      }),
    severity: z.enum(["low", "medium", "high", "critical"]),
    explanation: z.string().openapi({ description: "Plain language for reviewers. May quote agent-supplied values: show as text." }),
  })
  .openapi("RiskFlag");

export const RiskAssessment = z
  .object({
    score: z.number().int().min(0).max(100).openapi({
      description:
        "0 with no flags; each flag adds by severity (low 10, medium 25, high 45), at most 100. An admin-set action severity is a floor: critical ≥ 90, high ≥ 70, medium ≥ 40, low ≥ 10.",
    }),
    flags: z.array(RiskFlag).openapi({ description: "Most severe first." }),
  })
  .openapi("RiskAssessment", {
    description:
      "What is unusual about the request compared with the agent's own approved history, computed when it was created. Shown to reviewers only: telling an agent which of its requests look unusual would teach it how to look usual.",
  });
