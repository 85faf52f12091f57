// The Pulumi program compiled ahead of time: index.ts, components/, lib/ and stacks/ (not
// stacks/app, a project of its own) into bin/program by `tsc -p tsconfig.build.json`. Pulumi runs
// main.js, which runs bin/program/index.js; ts-node type-checking the program on every run cost
// about 15 s of CPU per preview or up (README, "Local figures").
//
//   node scripts/build.js           build if a source changed since the last build (= npm run build)
//   node scripts/build.js --check   exit 1 if the build is stale, without building
//
// A build is current when bin/program/.sources holds the SHA-256 of the program's .ts files (those
// under the directories above, plus any file the last build emitted from elsewhere), the tsconfigs
// and package-lock.json, as they are now. main.js builds a stale program before running it, so an
// edited .ts never runs stale, and a type error fails the preview as it did under ts-node.
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, run by Node as it is */
const { createHash } = require("crypto");
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "bin", "program");
const STAMP = path.join(OUT, ".sources");
const BUILD_INFO = path.join(OUT, ".tsbuildinfo"); // tsconfig.build.json tsBuildInfoFile
// Inputs besides the sources: compiler options and the dependencies' versions (their types).
const INPUTS = ["tsconfig.json", "tsconfig.build.json", "package-lock.json"];

/** The program's .ts files (relative, sorted), as tsconfig.build.json includes them. */
function programSources() {
    const files = ["index.ts"];
    const walk = (dir) => {
        for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const rel = `${dir}/${e.name}`;
            if (e.isDirectory() && rel !== "stacks/app") walk(rel);
            else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) files.push(rel);
        }
    };
    walk("components");
    walk("lib");
    walk("stacks");
    return files;
}

/** Sources the last build emitted, found from its output (covers imports from other directories). */
function emittedSources(dir = OUT, rel = "") {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) return emittedSources(path.join(dir, e.name), r);
        const ts = r.replace(/\.js$/, ".ts");
        return e.name.endsWith(".js") && fs.existsSync(path.join(ROOT, ts)) ? [ts] : [];
    });
}

function digest(files) {
    const h = createHash("sha256");
    for (const f of [...INPUTS, ...files]) {
        const p = path.join(ROOT, f);
        h.update(`${f}\0`).update(fs.existsSync(p) ? fs.readFileSync(p) : "(missing)").update("\0");
    }
    return h.digest("hex");
}

function readStamp() {
    try {
        return JSON.parse(fs.readFileSync(STAMP, "utf8"));
    } catch {
        return undefined;
    }
}

const outputOf = (ts) => path.join(OUT, ts.replace(/\.ts$/, ".js"));
const union = (...lists) => [...new Set(lists.flat())].sort();

/** Whether bin/program is the build of the sources as they are now. */
function isFresh() {
    const stamp = readStamp();
    if (!stamp || !Array.isArray(stamp.files) || !stamp.files.every((f) => fs.existsSync(outputOf(f)) || !fs.existsSync(path.join(ROOT, f)))) return false;
    return digest(union(programSources(), stamp.files)) === stamp.digest;
}

/** Compiles (and type-checks) the program; returns tsc's output on failure, undefined on success. */
function build() {
    const stamp = readStamp();
    // tsc's incremental state only knows what it emitted, not what is still on disk.
    if (!stamp || !stamp.files.every((f) => fs.existsSync(outputOf(f)))) fs.rmSync(BUILD_INFO, { force: true });
    const before = digest(union(programSources())); // hashed before compiling: an edit during the build leaves it stale
    const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc", { paths: [ROOT] }), "-p", "tsconfig.build.json"], { cwd: ROOT, encoding: "utf8" });
    if (tsc.status !== 0) return `${tsc.stdout}${tsc.stderr}${tsc.error ?? ""}`.trim() || `tsc exited with ${tsc.status ?? tsc.signal}`;
    const files = union(programSources(), emittedSources());
    fs.writeFileSync(STAMP, JSON.stringify({ files, digest: before === digest(union(programSources())) ? digest(files) : "stale" }) + "\n");
    return undefined;
}

/** Builds the program unless it is current; throws with tsc's output if it does not compile. */
function ensureBuilt(log = (m) => process.stderr.write(`${m}\n`)) {
    if (isFresh()) return;
    log("mesh: bin/program is missing or older than its sources; compiling it (scripts/build.js, tsconfig.build.json)");
    const t = Date.now();
    const errors = build();
    if (errors !== undefined) throw new Error(`the program does not compile (tsc -p tsconfig.build.json):\n${errors}`);
    log(`mesh: compiled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

module.exports = { ensureBuilt, isFresh, programSources };

if (require.main === module) {
    if (process.argv[2] === "--check") {
        const fresh = isFresh();
        console.log(fresh ? "bin/program is up to date" : "bin/program is stale: node scripts/build.js");
        process.exit(fresh ? 0 : 1);
    }
    try {
        ensureBuilt();
    } catch (e) {
        console.error(e.message);
        process.exit(1);
    }
}
