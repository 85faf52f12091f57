/**
 * Simulated `pulumi up`: the program runs under mocks in which every resource takes its
 * realistic creation time on a virtual clock, and the wall time is compared with the ideal (longest
 * chain of truly dependent steps) and with the sequential procedure of Istio's guide. Also
 * prints the program's own evaluation time and peak memory. Figures only; nothing is asserted.
 *
 *   npm run bench -- [sizes...]        (default: 2 3 3p 8 32; 3p = two primaries and a remote)
 */
import { minutesOf } from "../test/support/durations";
import { runMesh } from "../test/support/run";
import { idealMinutes, meshSteps, sequentialMinutes } from "./model";
import { reportToParent, runInChild } from "./child";
import { benchMesh } from "./topologies";

interface Figures {
    clusters: string;
    resources: number;
    remoteSecrets: number;
    simulatedMinutes: number;
    idealMinutes: number;
    sequentialMinutes: number;
    programSeconds: number;
    peakRssMiB: number;
}

/** The program alone: one evaluation under mocks without delays, in a process of its own. */
async function measureProgram(size: string) {
    const { mocks } = await runMesh(benchMesh(size));
    return {
        resources: mocks.resources.length,
        remoteSecrets: mocks.resources.filter((r) => r.inputs?.metadata?.labels?.["istio/multiCluster"] === "true").length,
        // From process start: Node, the SDKs' modules and the program, as `pulumi up` would pay.
        programSeconds: process.uptime(),
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
}

/** The simulated `up` on the virtual clock, and the yardsticks. */
async function measureUp(size: string) {
    const config = benchMesh(size);
    const sim = await runMesh(config, { delay: ({ type, name }) => minutesOf(type, name) });
    const steps = meshSteps(config);
    return { simulatedMinutes: sim.mocks.makespan, idealMinutes: idealMinutes(steps), sequentialMinutes: sequentialMinutes(steps) };
}

function child(size: string, mode: string): any {
    return runInChild(__filename, { BENCH_SIZE: size, BENCH_MODE: mode });
}

function main() {
    const sizes = process.argv.slice(2);
    // One process per size and measurement, so that peak memory is the program's alone.
    const rows: Figures[] = (sizes.length ? sizes : ["2", "3", "3p", "8", "32"]).map((size) => ({
        clusters: size === "3p" ? "3 (2 primaries + remote)" : size,
        ...child(size, "program"),
        ...child(size, "up"),
    }));
    const f = (x: number, d = 1) => x.toFixed(d);
    console.log("clusters | resources | remote secrets | simulated up (min) | ideal (min) | vs ideal | sequential guide (min) | speed-up | program (s) | peak RSS (MiB)");
    console.log("---|---|---|---|---|---|---|---|---|---");
    for (const r of rows) {
        const overIdeal = (r.simulatedMinutes / r.idealMinutes - 1) * 100;
        console.log(
            [r.clusters, r.resources, r.remoteSecrets, f(r.simulatedMinutes, 2), f(r.idealMinutes, 2), `+${f(overIdeal, 2)}%`, f(r.sequentialMinutes), `${f(r.sequentialMinutes / r.simulatedMinutes, 2)}×`, f(r.programSeconds, 2), f(r.peakRssMiB, 0)].join(" | "),
        );
    }
    console.log("\nSimulated minutes run on a virtual clock (each step takes its realistic time; the clock moves only when the program is idle).");
    console.log("Program: one evaluation of the whole program under mocks without delays, timed from process start (Node and SDK loading included); peak RSS of that process.");
}

if (process.env.BENCH_SIZE) {
    reportToParent((process.env.BENCH_MODE === "up" ? measureUp : measureProgram)(process.env.BENCH_SIZE));
} else {
    main();
}
