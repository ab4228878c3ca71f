import "server-only";
import { AppError, type FieldError } from "../errors.ts";
import { zodErrors } from "../http/problem.ts";
import { checkCondition } from "./cel.ts";
import { PolicyDefaults, PolicyDocument, PolicyRuleDefinition } from "./policy-document.ts";

/** Semantic checks beyond the schema: the condition parses and type-checks. */
export function ruleDefinitionErrors(rule: PolicyRuleDefinition, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (rule.condition !== undefined) {
    const problem = checkCondition(rule.condition);
    if (problem) errors.push({ path: `${path}condition`, message: `rule ${rule.name}: ${problem.message}` });
  }
  return errors;
}

function fail(errors: FieldError[], what: string): never {
  throw new AppError("validation_failed", `${what} is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, { errors });
}

/** A rule definition from an editor or API, validated like one in a policy file. */
export function parseRuleDefinition(value: unknown): PolicyRuleDefinition {
  const parsed = PolicyRuleDefinition.safeParse(value);
  if (!parsed.success) fail(zodErrors(parsed.error), "the rule");
  const errors = ruleDefinitionErrors(parsed.data, "");
  if (errors.length) fail(errors, "the rule");
  return parsed.data;
}

export function parsePolicyDefaults(value: unknown): PolicyDefaults {
  const parsed = PolicyDefaults.safeParse(value);
  if (!parsed.success) fail(zodErrors(parsed.error, "default"), "the default");
  return parsed.data;
}

/** A whole policy document; errors name the rule (`rules.3.condition`, "rule large-payments: …"). */
export function parsePolicyDocument(value: unknown): PolicyDocument {
  const parsed = PolicyDocument.safeParse(value);
  if (!parsed.success) {
    const rules = Array.isArray((value as { rules?: unknown })?.rules) ? ((value as { rules: unknown[] }).rules as { name?: unknown }[]) : [];
    const errors = zodErrors(parsed.error).map((e) => {
      const m = /^rules\.(\d+)(\.|$)/.exec(e.path);
      const name = m ? rules[Number(m[1])]?.name : undefined;
      return typeof name === "string" ? { ...e, message: `rule ${name}: ${e.message}` } : e;
    });
    fail(errors, "the policy document");
  }
  const errors = parsed.data.rules.flatMap((r, i) => ruleDefinitionErrors(r, `rules.${i}.`));
  if (errors.length) fail(errors, "the policy document");
  return parsed.data;
}
