// Shapes the policy console needs that the API's schemas do not name, derived from them.
import type { z } from "zod";
import type { PolicyRuleDefinition } from "@/lib/policy/policy-document";
import type { Problem } from "@/lib/schemas/requests";

/** A rule definition as the console sends it: omitted settings take the defaults. */
export type RuleDefinition = z.input<typeof PolicyRuleDefinition>;

export type Effect = PolicyRuleDefinition["effect"];

/** A field the server refused: one of a problem's `errors`. */
export type FieldError = NonNullable<Problem["errors"]>[number];
