import { Card, Field, Fields } from "../ui/card";
import type { ReviewItem } from "@/lib/schemas/review";

const EFFECT_LABEL = { allow: "Allow", deny: "Deny", require_approval: "Require approval" } as const;

/** The rule version that routed this request to review. */
export function PolicyCard({ policy }: { policy: ReviewItem["policy"] }) {
  return (
    <Card title="Matched policy">
      <Fields>
        <Field label="Rule">
          <span className="font-medium">{policy.name}</span> <span className="text-zinc-400">v{policy.version}</span>
        </Field>
        <Field label="Effect">{EFFECT_LABEL[policy.effect]}</Field>
        <Field label="Approvals">{policy.approvals_required} required</Field>
        <Field label="Rule id">
          <span className="font-mono text-xs text-zinc-600">{policy.id}</span>
        </Field>
      </Fields>
    </Card>
  );
}
