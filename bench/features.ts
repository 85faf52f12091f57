/**
 * Issue 10's figures: what the production features cost the program. For one mesh size (default
 * 32 clusters, bench/topologies.ts: EKS and AKS primaries alternating, each on its own network),
 * the program is evaluated under mocks (no delays) with every feature of issue 10 on, against the
 * same mesh with all of them off:
 *
 *  - on: control-plane HA and traffic defaults (mesh:availability, mesh:traffic as shipped),
 *    mesh-wide policy (deny-by-default with an allow, a default Sidecar, one raw object), and all
 *    of mesh:observability (a Prometheus per cluster, the federating global one, Grafana, tracing,
 *    JSON access logs, Kiali across clusters);
 *  - off: one istiod and one gateway replica with no autoscaler, budget or spread, no DNS proxy,
 *    locality load balancing or outlier detection, no policy, no observability.
 *
 * Each evaluation runs in a process of its own (so that peak memory is that evaluation's), RUNS
 * times (default 3), and the medians are printed with the ratio on/off; the issue's target is
 * under 1.3× in time and memory. Figures only; nothing is asserted.
 *
 *   npm run bench:features -- [size] [runs]
 */
import * as os from "os";
import { performance } from "perf_hooks";
import { runMesh } from "../test/support/run";
import { reportToParent, runInChild } from "./child";
import { benchMesh } from "./topologies";

/** Every feature of issue 10 on: the shipped defaults, plus what is off by default (policy, tracing, Kiali). */
export const FEATURES_ON: Record<string, unknown> = {
    policy: {
        denyByDefault: true,
        allow: [{ name: "payments-internal", selector: { matchLabels: { app: "payments" } }, rules: [{ from: [{ source: { namespaces: ["payments"] } }] }] }],
        sidecarEgressHosts: ["./*", "istio-system/*"],
        resources: [
            {
                apiVersion: "networking.istio.io/v1",
                kind: "DestinationRule",
                metadata: { name: "db-pool" },
                spec: { host: "db.data.svc.cluster.local", trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } } } },
            },
        ],
    },
    observability: {
        tracing: { collector: { service: "otel-collector.observability.svc.cluster.local" }, samplingPercentage: 1 },
        kiali: { enabled: true },
    },
};

/** The same mesh without them: what a cluster got before issue 10 (the charts' single replicas, no mesh-wide objects, no telemetry). */
export const FEATURES_OFF: Record<string, unknown> = {
    availability: {
        istiod: { replicas: 1, maxReplicas: 1, disruptionBudget: { enabled: false }, spread: { zone: "Off", node: "Off" } },
        eastWestGateway: { replicas: 1, maxReplicas: 1, disruptionBudget: { enabled: false }, spread: { zone: "Off", node: "Off" } },
    },
    traffic: { dnsProxy: { capture: false, autoAllocate: false }, localityLoadBalancing: { enabled: false }, outlierDetection: { enabled: false } },
    observability: {
        accessLogs: { enabled: false },
        metrics: { enabled: false },
        global: { enabled: false },
        grafana: { enabled: false },
        tracing: { enabled: false },
        kiali: { enabled: false },
    },
};

interface Run {
    resources: number;
    /** From process start: Node, the SDKs' modules, config validation and the program, as `pulumi up` pays. */
    processSeconds: number;
    /** Config validation and the program's evaluation alone (the modules already loaded). */
    evaluationSeconds: number;
    peakRssMiB: number;
}

async function measure(size: string, variant: "on" | "off"): Promise<Run> {
    const start = performance.now();
    const { mocks } = await runMesh(benchMesh(size, variant === "on" ? FEATURES_ON : FEATURES_OFF));
    return {
        resources: mocks.resources.length,
        evaluationSeconds: (performance.now() - start) / 1000,
        processSeconds: process.uptime(),
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
}

function child(size: string, variant: string): Run {
    return runInChild(__filename, { BENCH_SIZE: size, BENCH_VARIANT: variant });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main() {
    const size = process.argv[2] ?? "32";
    const runs = parseInt(process.argv[3] ?? "3", 10);
    const load = () => os.loadavg()[0].toFixed(2);
    const results: Record<string, Run[]> = { off: [], on: [] };
    const loads: string[] = [load()];
    // Interleaved, so that a change in the machine's load falls on both variants alike.
    for (let i = 0; i < runs; i++) {
        for (const v of ["off", "on"]) results[v].push(child(size, v));
        loads.push(load());
    }
    const row = (v: string) => {
        const r = results[v];
        return { resources: r[0].resources, process: median(r.map((x) => x.processSeconds)), evaluation: median(r.map((x) => x.evaluationSeconds)), rss: median(r.map((x) => x.peakRssMiB)) };
    };
    const [off, on] = [row("off"), row("on")];
    const f = (x: number, d = 2) => x.toFixed(d);
    console.log(`${size} clusters, median of ${runs} runs each (one process per run; load average ${loads.join(" → ")})\n`);
    console.log("issue 10 features | resources | program from process start (s) | evaluation alone (s) | peak RSS (MiB)");
    console.log("---|---|---|---|---");
    console.log(["off", off.resources, f(off.process), f(off.evaluation), f(off.rss, 0)].join(" | "));
    console.log(["on", on.resources, f(on.process), f(on.evaluation), f(on.rss, 0)].join(" | "));
    console.log(["on / off", `${f(on.resources / off.resources)}×`, `${f(on.process / off.process)}×`, `${f(on.evaluation / off.evaluation)}×`, `${f(on.rss / off.rss)}×`].join(" | "));
    console.log("\nEvery run (s from start / s evaluation / MiB):");
    for (const v of ["off", "on"]) console.log(`  ${v}: ${results[v].map((r) => `${f(r.processSeconds)}/${f(r.evaluationSeconds)}/${f(r.peakRssMiB, 0)}`).join(", ")}`);
    console.log("\nTarget (issue 10): under 1.3× the time and the memory without the features.");
}

if (require.main !== module) {
    // Imported for FEATURES_ON / FEATURES_OFF: nothing to run.
} else if (process.env.BENCH_SIZE) {
    reportToParent(measure(process.env.BENCH_SIZE, process.env.BENCH_VARIANT === "on" ? "on" : "off"));
} else {
    main();
}
