import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { sleep } from "./stats.ts";

/** Linux /proc readings for the app process (and any children it has). */

function readStatusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Every descendant of `pid`, via /proc/<pid>/task/<tid>/children. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let text = "";
      try {
        text = readFileSync(`/proc/${p}/task/${t}/children`, "utf8");
      } catch {
        continue;
      }
      for (const c of text.split(/\s+/).filter(Boolean).map(Number)) {
        out.push(c);
        visit(c);
      }
    }
  };
  visit(pid);
  return out;
}

/** utime + stime of a process, in clock ticks (usually 10 ms each); with `reaped`, plus that of its children that exited (cutime + cstime). */
export function cpuTicks(pid: number, o: { reaped?: boolean } = {}): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]) + (o.reaped ? Number(fields[13]) + Number(fields[14]) : 0);
  } catch {
    return 0;
  }
}

/**
 * CPU ticks of the embedded PostgreSQL whose data folder is `dataDir`: the
 * postmaster, its live backends, and those that exited (autovacuum workers,
 * closed connections: counted in the postmaster's children's time once it
 * reaped them, where summing live processes alone would lose their time).
 */
export function postgresCpuTicks(dataDir: string): number {
  const root = Number(readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  return cpuTicks(root, { reaped: true }) + descendants(root).reduce((sum, pid) => sum + cpuTicks(pid), 0);
}

export interface MemorySample {
  /** VmRSS of the process plus its children, MiB. */
  rssMiB: number;
  /** VmHWM (lifetime peak RSS) of the process itself, MiB. */
  hwmMiB: number;
  children: number;
}

export function memoryNow(pid: number): MemorySample {
  const kids = descendants(pid);
  const rssKb = readStatusKb(pid, "VmRSS") + kids.reduce((s, k) => s + readStatusKb(k, "VmRSS"), 0);
  return { rssMiB: rssKb / 1024, hwmMiB: readStatusKb(pid, "VmHWM") / 1024, children: kids.length };
}

/** Samples RSS every `intervalMs` until stopped; returns the peak seen. */
export function startMemorySampler(pid: number, intervalMs = 100) {
  const start = memoryNow(pid);
  let peak = start.rssMiB;
  let samples = 1;
  let maxChildren = start.children;
  const timer = setInterval(() => {
    const s = memoryNow(pid);
    samples++;
    if (s.rssMiB > peak) peak = s.rssMiB;
    if (s.children > maxChildren) maxChildren = s.children;
  }, intervalMs);
  return {
    start,
    stop() {
      clearInterval(timer);
      const end = memoryNow(pid);
      return { startRssMiB: start.rssMiB, peakRssMiB: Math.max(peak, end.rssMiB), endRssMiB: end.rssMiB, hwmMiB: end.hwmMiB, samples, children: maxChildren };
    },
  };
}

/** Waits until the process (and children) used less than `maxTicks` CPU ticks over two consecutive 250 ms windows. */
export async function waitForCpuQuiet(pid: number, timeoutMs: number, maxTicks = 3): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const total = () => cpuTicks(pid) + descendants(pid).reduce((s, k) => s + cpuTicks(k), 0);
  let quiet = 0;
  let last = total();
  while (Date.now() < deadline) {
    await sleep(250);
    const now = total();
    quiet = now - last <= maxTicks ? quiet + 1 : 0;
    last = now;
    if (quiet >= 2) return true;
  }
  return false;
}
