// Preloaded into the app by bench/profile.ts and `BENCH_CPU_PROF=1 npm run bench`
// (NODE_OPTIONS=--require=…; Node refuses --cpu-prof there). Profiles the whole
// process with the in-process inspector and writes a .cpuprofile on exit.
"use strict";
const inspector = require("node:inspector");
const fs = require("node:fs");
const path = require("node:path");

const dir = process.env.BENCH_CPU_PROF_DIR || process.cwd();
const session = new inspector.Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.setSamplingInterval", { interval: 500 });
session.post("Profiler.start");
let written = false;
process.on("exit", () => {
  if (written) return;
  written = true;
  // Same-thread inspector sessions answer synchronously, so this completes before exit.
  session.post("Profiler.stop", (err, result) => {
    if (err || !result) return;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `app-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(result.profile));
  });
});
