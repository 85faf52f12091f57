/**
 * Simulated `pulumi up`: the program runs under mocks in which every resource takes its
 * realistic creation time on a virtual clock, and the wall time is compared with the ideal (longest
 * chain of truly dependent steps) and with the sequential procedure of Istio's guide. Also
 * prints the program's own evaluation time and peak memory. Figures only; nothing is asserted.
 *
 *   npm run bench -- [sizes...]        (default: 2 3 3p 8 32; 3p = two primaries and a remote)
 */
import { execFileSync } from "child_process";
import { performance } from "perf_hooks";
import { minutesOf } from "../test/support/durations";
import { runMesh } from "../test/support/run";
import { idealMinutes, meshSteps, sequentialMinutes } from "./model";
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

async function measure(size: string): Promise<Figures> {
    const config = benchMesh(size);
    const t0 = performance.now();
    const plain = await runMesh(config);
    const programSeconds = (performance.now() - t0) / 1000;
    const sim = await runMesh(config, { delay: ({ type, name }) => minutesOf(type, name) });
    const steps = meshSteps(config);
    return {
        clusters: size === "3p" ? "3 (2 primaries + remote)" : size,
        resources: plain.mocks.resources.length,
        remoteSecrets: plain.mocks.resources.filter((r) => r.inputs?.metadata?.labels?.["istio/multiCluster"] === "true").length,
        simulatedMinutes: sim.mocks.makespan,
        idealMinutes: idealMinutes(steps),
        sequentialMinutes: sequentialMinutes(steps),
        programSeconds,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
}

function main() {
    const sizes = process.argv.slice(2);
    const rows: Figures[] = (sizes.length ? sizes : ["2", "3", "3p", "8", "32"]).map((n) =>
        // One process per size, so that peak memory is that size's alone.
        JSON.parse(execFileSync(process.execPath, [...process.execArgv, __filename], { env: { ...process.env, BENCH_SIZE: n }, encoding: "utf8", maxBuffer: 1 << 26 })),
    );
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
    console.log("Program time: one evaluation of the whole program under mocks without delays, SDK module loading included; peak RSS of that process.");
}

if (process.env.BENCH_SIZE) {
    measure(process.env.BENCH_SIZE).then(
        (r) => {
            process.stdout.write(JSON.stringify(r));
            process.exit(0);
        },
        (e) => {
            console.error(e);
            process.exit(1);
        },
    );
} else {
    main();
}
