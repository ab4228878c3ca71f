import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Machine } from "../bench/report.ts";
import type { Check, Figures } from "./checks.ts";

export interface ScenarioResult {
  name: string;
  title: string;
  seconds: number;
  /** What the app ran with beyond the defaults, and why. */
  appEnv: string;
  figures: Figures;
  checks: Check[];
  /** Set when the scenario stopped on an error (it then also has a failed check). */
  error?: string;
}

export interface SoakResults {
  machine: Machine;
  command: string;
  knobs: Record<string, unknown>;
  scenarios: ScenarioResult[];
  passed: number;
  failed: number;
  durationSeconds: number;
}

const cell = (s: string | number) => String(typeof s === "number" ? s.toLocaleString("en-US") : s).replace(/\|/g, "\\|");

export function markdown(r: SoakResults): string {
  const lines = [
    `${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, ${r.machine.postgres}, load average at start ${r.machine.loadAverageAtStart.join(" ")}; ${r.machine.date}`,
    "",
    "| scenario | measure | value |",
    "|---|---|---|",
  ];
  for (const s of r.scenarios) for (const [k, v] of Object.entries(s.figures)) lines.push(`| ${s.name} | ${cell(k)} | ${cell(v)} |`);
  lines.push("", "| scenario | check | result | detail |", "|---|---|---|---|");
  for (const s of r.scenarios) for (const c of s.checks) lines.push(`| ${s.name} | ${cell(c.name)} | ${c.ok ? "pass" : "**FAIL**"} | ${cell(c.detail)} |`);
  lines.push(
    "",
    `${r.passed} checks passed, ${r.failed} failed; ${r.scenarios.map((s) => `${s.name} ${s.seconds} s`).join(", ")}; whole run ${r.durationSeconds} s.`,
  );
  return lines.join("\n");
}

export function writeJson(r: SoakResults, root: string): string {
  const dir = path.join(root, "soak", "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "latest.json");
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}
