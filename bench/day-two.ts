/**
 * Day-two figures on the local clusters, real engine (bench/day-two.sh): the wall time of adding a
 * fourth cluster to a running three-cluster mesh, against the time of creating that cluster's part
 * alone. "That cluster's part" is exactly what adding creates (the preview's creates: its namespace,
 * CA, Istio, east-west gateway and Service, its remote secrets and those of the others for it),
 * created alone by an `up --target` of those resources from the same three-cluster state. Adding
 * should redo nothing else: the target is at most 1.3× that. A one-cluster mesh of the same
 * cluster is shown too; it is less than that cluster's part (no east-west gateway or remote secrets
 * without peers). Then one full root-rotation walk (trust, issue, retire, done: four `up`s) on the
 * three-cluster mesh.
 */
import { EngineEvent } from "@pulumi/pulumi/automation";
import { configure, LocalCluster, meshConfig, meshStack } from "../test/e2e/day-two/world";

const base: LocalCluster[] = [
    { name: "c1", network: "net1" },
    { name: "c2", network: "net2" },
    { name: "c3", network: "net3", role: "remote", primary: "c1" },
];
const c4: LocalCluster = { name: "c4", network: "net4" };
const quiet = { onOutput: () => undefined };
const RUNS = Number(process.env.RUNS ?? 3);

async function seconds(step: () => Promise<unknown>): Promise<number> {
    const t = Date.now();
    await step();
    return (Date.now() - t) / 1000;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
    const adding: number[] = [];
    const part: number[] = [];
    const single: number[] = [];
    let created = 0;
    const mesh = await meshStack("bench-day-two", meshConfig(base));
    const alone = await meshStack("bench-day-two-alone", meshConfig([c4]));
    const threeClusters = async () => {
        await configure(mesh, meshConfig(base));
        await mesh.up(quiet);
    };
    for (let r = 1; r <= RUNS; r++) {
        await threeClusters();
        await configure(mesh, meshConfig([...base, c4]));
        // What adding creates, from its preview.
        const creates: string[] = [];
        const onEvent = (e: EngineEvent) => {
            const m = e.resourcePreEvent?.metadata;
            if (m?.op === "create" && !m.urn.includes("::pulumi:pulumi:Stack::")) creates.push(m.urn);
        };
        const preview = await mesh.preview({ ...quiet, onEvent });
        const others = Object.entries(preview.changeSummary ?? {}).filter(([op, n]) => !["create", "same", "read"].includes(op) && (n ?? 0) > 0);
        if (others.length > 0) throw new Error(`adding c4 would also ${JSON.stringify(Object.fromEntries(others))}: not only its own part`);
        created = creates.length;
        part.push(await seconds(() => mesh.up({ ...quiet, target: creates })));
        await threeClusters();
        await configure(mesh, meshConfig([...base, c4]));
        adding.push(await seconds(() => mesh.up(quiet)));
        await mesh.destroy(quiet);
        single.push(await seconds(() => alone.up(quiet)));
        await alone.destroy(quiet);
        console.log(`run ${r}: adding c4 ${adding[r - 1].toFixed(1)} s, its part alone ${part[r - 1].toFixed(1)} s, a one-cluster mesh of c4 ${single[r - 1].toFixed(1)} s`);
    }
    const a = median(adding);
    const b = median(part);
    console.log(`\nLocal kwok clusters, real engine, median of ${RUNS} (seconds)`);
    console.log(`adding a 4th cluster (primary, new network) to a running 3-cluster mesh: ${a.toFixed(1)}`);
    console.log(`that cluster's part alone (up --target of the ${created} resources adding creates): ${b.toFixed(1)}`);
    console.log(`ratio: ${(a / b).toFixed(2)}× (target ≤ 1.3×)`);
    console.log(`for comparison, a one-cluster mesh of the same cluster (no gateway, no remote secrets): ${median(single).toFixed(1)}`);

    await configure(mesh, meshConfig(base));
    await mesh.up(quiet);
    const walk: [string, Record<string, unknown>][] = [
        ["trust", { rotation: { phase: "trust" } }],
        ["issue", { rotation: { phase: "issue" } }],
        ["retire", { rotation: { phase: "retire" } }],
        ["done", { rootGeneration: 2 }],
    ];
    const steps: string[] = [];
    let total = 0;
    for (const [phase, pki] of walk) {
        await configure(mesh, meshConfig(base, pki));
        const t = await seconds(() => mesh.up(quiet));
        total += t;
        steps.push(`${phase} ${t.toFixed(1)}`);
    }
    await mesh.destroy(quiet);
    console.log(`root rotation walk, 3 clusters (one up per step; the waits between steps are the operator's): ${total.toFixed(1)} (${steps.join(", ")})`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
