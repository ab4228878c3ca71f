"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { AdminTabs } from "@/components/admin/admin-tabs";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import { EffectBadge } from "@/components/admin/policies/effect-badge";
import { RuleForm, fromDefinition, toDefinition, type RuleFormValues } from "@/components/admin/policies/rule-form";
import { RuleHistory } from "@/components/admin/policies/rule-history";
import { conditionErrorText, SimulationPanel } from "@/components/admin/policies/simulation-panel";
import type { FieldError, RuleDefinition } from "@/components/admin/policies/types";
import type { ProposedRule, RuleObject, SimulatedOutcome } from "@/lib/schemas/policy";
import { Button, selectClass } from "@/components/admin/ui";
import { formatDateTime } from "@/components/format";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { ChevronLeftIcon, LockIcon, SpinnerIcon } from "@/components/ui/icons";
import { LoadError } from "@/components/ui/load-error";
import {
  PolicyProblem,
  problemText,
  useCreateRule,
  useDeleteRule,
  useProposedRule,
  useRule,
  useRuleHistory,
  useRules,
  useSimulate,
  useUpdateRule,
} from "./policy-api";

/** Fields the form marks inline; anything else goes in the notice. */
const INLINE = /^(rule\.)?(name|actions|agents|condition|approvals_required|wait_seconds|grant_ttl_seconds)(\.|$)/;

function sampleFor(agentName: string | undefined): string {
  return JSON.stringify(
    {
      action: "payments.refund",
      resource: "customer:cus_123",
      params: { amount: 2500, currency: "USD", customer: "cus_123" },
      context: { environment: { name: "production" }, ticket: "SUP-4521" },
      agent: { name: agentName ?? "billing-agent", tags: ["finance"], trust_level: "standard" },
    },
    null,
    2,
  );
}

const back = (
  <Link href="/admin/policies" className="mb-5 inline-flex items-center gap-1 text-sm text-zinc-500 transition-colors hover:text-zinc-900">
    <ChevronLeftIcon className="size-4" />
    Policies
  </Link>
);

/** `/admin/policies/new` and `/admin/policies/[id]`: the editor, the simulation, and (for a saved rule) its history. */
export function RuleEditorView({ id, canEdit, proposeFrom = null }: { id: string | null; canEdit: boolean; proposeFrom?: string | null }) {
  const rule = useRule(id);
  const proposal = useProposedRule(id === null ? proposeFrom : null);
  if (id === null && proposeFrom) {
    if (proposal.data) return <Editor rule={null} canEdit={canEdit} proposal={{ from: proposeFrom, ...proposal.data }} />;
    return (
      <>
        <AdminTabs active="policies" readOnly={!canEdit} />
        {back}
        {proposal.error ? (
          <div className="rounded-xl border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900" role="alert" data-testid="proposal-refused">
            <p className="font-medium">No rule proposed from {proposeFrom}</p>
            <p className="mt-1">{proposal.error.message}</p>
          </div>
        ) : (
          <div className="flex items-center gap-2 py-16 text-sm text-zinc-500" aria-busy="true">
            <SpinnerIcon /> Proposing a rule…
          </div>
        )}
      </>
    );
  }
  if (id === null) return <Editor rule={null} canEdit={canEdit} />;
  if (!rule.data) {
    return (
      <>
        <AdminTabs active="policies" readOnly={!canEdit} />
        {back}
        {rule.error instanceof PolicyProblem && rule.error.status === 404 ? (
          <EmptyState icon={<LockIcon className="size-5" />} title="No such rule" />
        ) : rule.error ? (
          <LoadError what="this rule" message={rule.error.message} onRetry={() => void rule.refetch()} />
        ) : (
          <div className="flex items-center gap-2 py-16 text-sm text-zinc-500" aria-busy="true">
            <SpinnerIcon /> Loading rule…
          </div>
        )}
      </>
    );
  }
  return <Editor key={rule.data.id} rule={rule.data} canEdit={canEdit} />;
}

function Editor({ rule, canEdit, proposal }: { rule: RuleObject | null; canEdit: boolean; proposal?: ProposedRule & { from: string } }) {
  const router = useRouter();
  const [values, setValues] = useState<RuleFormValues>(() => fromDefinition(proposal?.rule ?? rule?.definition));
  const [fieldErrors, setFieldErrors] = useState<FieldError[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [placeFirst, setPlaceFirst] = useState(false);
  const [sample, setSample] = useState(() => sampleFor(rule?.definition.agents?.names?.[0]));
  const [replayRecent, setReplayRecent] = useState(true);
  const [results, setResults] = useState<SimulatedOutcome[] | null>(null);
  /** The condition the results were computed for: their errors are shown at the field while it stays the same. */
  const [resultsCondition, setResultsCondition] = useState<string | null>(null);
  const [simError, setSimError] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [checking, setChecking] = useState(false);
  const [erroring, setErroring] = useState<{ definition: RuleDefinition; results: SimulatedOutcome[] } | null>(null);
  const create = useCreateRule();
  const update = useUpdateRule(rule?.id ?? "");
  const remove = useDeleteRule(rule?.id ?? "");
  const simulate = useSimulate();
  const history = useRuleHistory(rule?.id ?? null);
  const rules = useRules();

  useEffect(() => {
    document.title = `${rule ? rule.name : "New rule"} · Policies · Countersign`;
  }, [rule]);

  // A proposed rule is shown with its simulation over recent requests before anyone saves it.
  const proposedRule = proposal?.rule;
  const simulateProposal = simulate.mutate;
  useEffect(() => {
    if (!proposedRule) return;
    simulateProposal(
      { rule: proposedRule, last_n: 50 },
      {
        onSuccess: (r) => {
          setResults(r.data);
          setResultsCondition(proposedRule.condition ?? "");
        },
        onError: (err) => setSimError(problemText(err)),
      },
    );
  }, [proposedRule, simulateProposal]);

  const refused = (err: Error) => {
    const errors = err instanceof PolicyProblem ? err.errors : [];
    setFieldErrors(errors);
    const allInline = errors.length > 0 && errors.every((e) => INLINE.test(e.path));
    return allInline ? "Not saved: see the marked fields." : problemText(err);
  };

  const commit = (definition: RuleDefinition) => {
    setSaved(null);
    const onError = (err: Error) => setNotice(refused(err));
    if (rule) {
      update.mutate(definition, {
        onSuccess: (r) => {
          setFieldErrors(null);
          setNotice(null);
          setSaved(r.version === rule.version ? "Saved; nothing in the definition changed." : `Saved as version ${r.version}.`);
        },
        onError,
      });
    } else {
      create.mutate({ definition, position: placeFirst ? 0 : undefined }, { onSuccess: () => router.push("/admin/policies"), onError });
    }
  };

  const parsedSample = (): unknown => {
    try {
      return JSON.parse(sample);
    } catch {
      return undefined;
    }
  };

  // A condition that errors at run time fails closed without a word, so
  // before saving one, it runs over the sample and recent requests; errors
  // are shown per request and saving anyway takes a confirmation.
  const save = () => {
    const definition = toDefinition(values);
    if (!definition.condition) return commit(definition);
    setChecking(true);
    simulate.mutate(
      { rule: definition, sample: parsedSample(), last_n: 50, position: !rule && placeFirst ? 0 : undefined },
      {
        onSuccess: (r) => {
          setResults(r.data);
          setResultsCondition(definition.condition ?? "");
          setSimError(null);
          if (r.data.some((o) => o.draft_condition_error)) setErroring({ definition, results: r.data });
          else commit(definition);
        },
        // Refused as a draft: saving reports the same problem on the fields.
        onError: () => commit(definition),
        onSettled: () => setChecking(false),
      },
    );
  };

  const runSimulation = () => {
    setSimError(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(sample);
    } catch {
      setSimError("The sample is not valid JSON.");
      return;
    }
    const definition = toDefinition(values);
    simulate.mutate(
      { rule: definition, sample: parsed, last_n: replayRecent ? 50 : undefined, position: !rule && placeFirst ? 0 : undefined },
      {
        onSuccess: (r) => {
          setResults(r.data);
          setResultsCondition(definition.condition ?? "");
          setFieldErrors(null);
          setNotice(null);
        },
        onError: (err) => {
          setResults(null);
          const errors = err instanceof PolicyProblem ? err.errors : [];
          if (errors.some((e) => e.path.startsWith("rule."))) setFieldErrors(errors.map((e) => ({ ...e, path: e.path.replace(/^rule\./, "") })));
          setSimError(problemText(err));
        },
      },
    );
  };

  const errored = results && resultsCondition === (toDefinition(values).condition ?? "") ? results.filter((r) => r.draft_condition_error) : [];
  const conditionRunError = errored.length
    ? `Errors on ${errored.length} of ${results!.length} requests tried (see the simulation), e.g. ${conditionErrorText(errored[0].draft_condition_error!)}.`
    : null;

  const readOnly = !canEdit;
  return (
    <>
      <AdminTabs active="policies" readOnly={readOnly} />
      {back}
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4" data-testid="rule-editor" data-rule-id={rule?.id}>
        <div className="min-w-0">
          <h1 className="flex flex-wrap items-center gap-3 text-xl font-semibold tracking-tight text-zinc-900 sm:text-2xl">
            <span className="break-all">{rule ? rule.name : "New rule"}</span>
            {rule ? (
              <span className="text-base font-normal">
                <EffectBadge definition={rule.definition} defaultApprovals={rules.data?.default.approvals_required ?? 1} />
              </span>
            ) : null}
            {rule && !rule.enabled ? <span className="rounded-full bg-zinc-100 px-2 py-0.5 text-xs font-medium text-zinc-600">Disabled</span> : null}
          </h1>
          {rule ? (
            <p className="mt-1 text-xs text-zinc-500">
              <span data-testid="current-version">Version {rule.version}</span> · position {rule.position + 1} · saved {formatDateTime(rule.updated_at)} by{" "}
              {rule.updated_by}
            </p>
          ) : (
            <p className="mt-1 text-sm text-zinc-500">Try it on a sample before saving: the simulation shows what it would change.</p>
          )}
        </div>
        {rule && canEdit ? (
          <Button
            variant="dangerOutline"
            onClick={() => {
              remove.reset();
              setConfirmDelete(true);
            }}
          >
            Delete rule
          </Button>
        ) : null}
      </div>

      {proposal ? <ProposalNotice proposal={proposal} /> : null}
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1.2fr)_minmax(0,1fr)] lg:items-start">
        <Card title="Rule">
          <div className="space-y-4">
            {saved ? (
              <p role="status" data-testid="saved" className="rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
                {saved}
              </p>
            ) : null}
            {!rule && canEdit ? (
              <div className="flex flex-wrap items-center gap-2 text-sm text-zinc-800">
                <label htmlFor="rule-place">Place</label>
                <select
                  id="rule-place"
                  value={placeFirst ? "first" : "last"}
                  onChange={(e) => setPlaceFirst(e.target.value === "first")}
                  className={selectClass}
                >
                  <option value="last">Last (before the default)</option>
                  <option value="first">First (tried before every other rule)</option>
                </select>
              </div>
            ) : null}
            <RuleForm
              values={values}
              onChange={setValues}
              readOnly={readOnly}
              busy={create.isPending || update.isPending || checking}
              errors={fieldErrors}
              error={notice}
              submitLabel={rule ? "Save new version" : "Save rule"}
              onSubmit={save}
              onCancel={() => router.push("/admin/policies")}
              conditionRunError={conditionRunError}
            />
          </div>
        </Card>
        {canEdit ? (
          <Card title="Simulate">
            <SimulationPanel
              sample={sample}
              onSampleChange={setSample}
              replayRecent={replayRecent}
              onReplayRecentChange={setReplayRecent}
              busy={simulate.isPending}
              error={simError}
              results={results}
              onRun={runSimulation}
            />
          </Card>
        ) : null}
      </div>

      {rule ? (
        <div className="mt-6">
          <Card title="History" aside={<span className="text-xs text-zinc-500">newest first</span>}>
            {history.data ? (
              <RuleHistory versions={history.data.data} />
            ) : history.error ? (
              <LoadError what="the history" message={history.error.message} onRetry={() => void history.refetch()} />
            ) : (
              <div className="flex items-center gap-2 text-sm text-zinc-500">
                <SpinnerIcon /> Loading history…
              </div>
            )}
          </Card>
        </div>
      ) : null}

      <ConfirmDialog
        open={erroring !== null}
        title="Save a rule that errors?"
        confirmLabel="Save anyway"
        busy={create.isPending || update.isPending}
        error={null}
        onClose={() => setErroring(null)}
        onConfirm={() => {
          if (erroring) commit(erroring.definition);
          setErroring(null);
        }}
      >
        {erroring ? <ErroringRequests results={erroring.results} /> : null}
      </ConfirmDialog>

      <ConfirmDialog
        open={confirmDelete}
        title="Delete this rule?"
        confirmLabel="Delete rule"
        busy={remove.isPending}
        error={remove.error?.message ?? null}
        onClose={() => setConfirmDelete(false)}
        onConfirm={() => remove.mutate(undefined, { onSuccess: () => router.push("/admin/policies") })}
      >
        Requests it would have matched fall through to the next rule. Its versions stay, with the requests they decided.
      </ConfirmDialog>
    </>
  );
}

/** What a proposed rule is drawn from and what it bounds, above the pre-filled form. */
function ProposalNotice({ proposal }: { proposal: ProposedRule & { from: string } }) {
  return (
    <div className="mb-6 rounded-xl border border-violet-200 bg-violet-50/60 px-4 py-3 text-sm text-violet-950" data-testid="proposal">
      <p>
        Proposed from{" "}
        <Link href={`/requests/${encodeURIComponent(proposal.from)}`} className="font-medium underline underline-offset-2">
          {proposal.from}
        </Link>{" "}
        and {proposal.based_on - 1 === 0 ? "no earlier decision" : `${proposal.based_on - 1} earlier ${proposal.based_on === 2 ? "decision" : "decisions"}`}{" "}
        like it: <span className="font-medium">{proposal.rule.effect === "allow" ? "allow" : "deny"}</span> for this agent and this action only, in{" "}
        <span className="font-medium">shadow</span> mode (recorded, changes nothing until you promote it). The simulation beside the form shows what it would
        change if enforced.
      </p>
      {proposal.bounds.length ? (
        <ul className="mt-2 flex flex-wrap gap-1.5">
          {proposal.bounds.map((b) => (
            <li key={b.param} className="break-all rounded-md bg-white px-2 py-0.5 font-mono text-xs text-violet-900 ring-1 ring-violet-200 ring-inset">
              {b.condition}
            </li>
          ))}
        </ul>
      ) : null}
      {proposal.unbounded.length ? (
        <p className="mt-2 text-xs text-amber-800" data-testid="proposal-unbounded">
          Not bounded (any value passes): {proposal.unbounded.join(", ")}. Narrow the condition by hand if these matter.
        </p>
      ) : null}
    </div>
  );
}

/** The requests a draft's condition errors on, for the confirmation before saving it. */
function ErroringRequests({ results }: { results: SimulatedOutcome[] }) {
  const errored = results.filter((r) => r.draft_condition_error);
  const shown = errored.slice(0, 5);
  return (
    <div className="space-y-2" data-testid="save-condition-errors">
      <p>
        The condition errors on {errored.length} of {results.length} {results.length === 1 ? "request" : "requests"} tried. Saved, every such request is handled
        as the error dictates, whatever its values, and the request page says so.
      </p>
      <ul className="space-y-1">
        {shown.map((r, i) => (
          <li key={`${r.source}-${i}`} className="break-words rounded border border-red-200 bg-red-50 px-2 py-1 text-xs text-red-800">
            <span className="font-medium">{r.source === "sample" ? "sample" : r.source}</span>:{" "}
            <span className="font-mono">{conditionErrorText(r.draft_condition_error!)}</span>
          </li>
        ))}
      </ul>
      {errored.length > shown.length ? <p className="text-xs text-zinc-500">and {errored.length - shown.length} more (see the simulation).</p> : null}
    </div>
  );
}
