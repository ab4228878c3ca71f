import { readText } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";
import { exportPolicyDocument, importPolicyDocument, serializePolicyDocument } from "@/lib/policy/policy-as-code";

/** The policy document: YAML when asked for, JSON otherwise. */
export const GET = withAdmin(async (req) => {
  const document = await exportPolicyDocument();
  const yaml = /\b(application|text)\/(x-)?yaml\b/.test(req.headers.get("accept") ?? "");
  return new Response(serializePolicyDocument(document, yaml ? "yaml" : "json"), {
    headers: { "content-type": yaml ? "application/yaml; charset=utf-8" : "application/json", "cache-control": "no-store" },
  });
});

/** Replaces the rule set with a YAML or JSON document (all or nothing); `?dry_run=true` only reports. */
export const PUT = withAdmin(async (req, { admin }) => {
  const dryRun = new URL(req.url).searchParams.get("dry_run") === "true";
  const text = await readText(req);
  const r = await importPolicyDocument({ text, dryRun, actor: admin.actor });
  return Response.json(
    { dry_run: r.dryRun, added: r.added, changed: r.changed, removed: r.removed, unchanged: r.unchanged, default_changed: r.defaultChanged },
    { headers: { "cache-control": "no-store" } },
  );
});
