// Where the time of one `pulumi preview`/`up` goes, read from the engine's own log:
//
//   pulumi preview ... -v=7 --logtostderr 2>log; node bench/engine-phases.js log [wall seconds]
//
// The engine logs JSON lines with timestamps (-v=7 has everything used here). Phases, in order:
//   cli            the CLI until it starts the update (backend, stack, a first language host for
//                  its metadata)
//   plugins        a second language host: its GetRequiredPlugins (the node_modules walk) and the
//                  check that those plugins are installed
//   node + sdk     the Node process until the program registers its Stack (run.js, @pulumi/pulumi,
//                  and ts-node when the language host asks for TypeScript)
//   program load   Stack → the next registration: the program's modules (and their SDKs) loaded,
//                  the config read and checked
//   registrations  the program registering every resource; overlaps with the providers starting
//                  (listed below) and with their Check/Diff (and, for `up`, the steps)
//   program end    last registration → the program's exit (its outputs resolved)
//   shutdown       the steps drained, plugins stopped, the checkpoint written
// "before log" is the wall time outside the log (process start, exit), when the wall time is given.
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, run by Node as it is */
const fs = require("fs");

const [file, wallArg] = process.argv.slice(2);
const secs = (iso) => {
    const m = /T(\d+):(\d+):(\d+(?:\.\d+)?)Z$/.exec(iso);
    return +m[1] * 3600 + +m[2] * 60 + parseFloat(m[3]);
};
const events = [];
for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
        const j = JSON.parse(line);
        if (j.time) events.push({ t: secs(j.time), msg: String(j.msg ?? "") });
    } catch {
        // not an engine log line
    }
}
if (events.length === 0) throw new Error(`${file}: no engine log lines (run pulumi with -v=7 --logtostderr)`);
const t0 = events[0].t;
const first = (re, from = 0) => events.find((e) => e.t >= from && re.test(e.msg))?.t;
const all = (re) => events.filter((e) => re.test(e.msg));

const start = first(/^\*\*\* Starting Update/);
const run = first(/^langhost\[nodejs\]\.Run\(.*\) executing/);
const ran = first(/^langhost\[nodejs\]\.Run\(.*\) success/);
const regs = all(/^ResourceMonitor\.RegisterResource received/).map((e) => e.t);
const end = events[events.length - 1].t;
const marks = [
    ["cli", t0, start],
    ["plugins", start, run],
    ["node + sdk", run, regs[0]],
    ["program load", regs[0], regs[1]],
    ["registrations", regs[1], regs[regs.length - 1]],
    ["program end", regs[regs.length - 1], ran],
    ["shutdown", ran, end],
];
const rows = marks.map(([name, a, b]) => [name, a !== undefined && b !== undefined ? b - a : NaN]);
const wall = wallArg ? Number(wallArg) : undefined;
if (wall !== undefined) rows.unshift(["before log", wall - (end - t0)]);

// Provider plugins, each from its registration to its first answer (GetPluginInfo); they start in parallel.
const ready = new Map(); // provider address → first GetPluginInfo
for (const e of all(/^Provider\[\w+\]\.GetPluginInfo\(\) executing/)) {
    const addr = /^Provider\[(\w+)\]/.exec(e.msg)[1];
    if (!ready.has(addr)) ready.set(addr, e.t);
}
const starts = [];
for (const e of all(/^Provider\[\w+\]\.CheckConfig\(urn:.*\$pulumi:providers:[\w-]+::[^)]+\) executing/)) {
    const [, addr, kind, name] = /^Provider\[(\w+)\]\.CheckConfig\(urn:.*\$pulumi:providers:([\w-]+)::([^)]+)\)/.exec(e.msg);
    const registered = first(new RegExp(`^ResourceMonitor\\.RegisterResource received: t=pulumi:providers:${kind}, name=${name},`));
    if (registered !== undefined && ready.has(addr) && !starts.some((s) => s.name === name)) starts.push({ name, kind, d: ready.get(addr) - registered });
}
const providerList = starts.map((s) => `${s.kind} ${s.d.toFixed(2)} s`).join(", ");

for (const [name, d] of rows) console.log(`${name.padEnd(14)} ${Number.isNaN(d) ? "   ?" : d.toFixed(2).padStart(6)} s`);
console.log(`${"total".padEnd(14)} ${(wall ?? end - t0).toFixed(2).padStart(6)} s   (${regs.length} registrations; providers ready after: ${providerList || "none"})`);
