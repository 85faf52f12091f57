/**
 * Day-two figures on the local clusters, real engine (bench/day-two.sh): the wall time of adding a
 * fourth cluster to a running three-cluster mesh, against the time of creating that cluster's part
 * alone. Adding should redo nothing else: the target is at most 1.3× the cluster's own part. Then
 * one full root-rotation walk (trust, issue, retire, done: four `up`s) on the three-cluster mesh.
 */
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
    const alone: number[] = [];
    const mesh = await meshStack("bench-day-two", meshConfig(base));
    const single = await meshStack("bench-day-two-alone", meshConfig([c4]));
    for (let r = 1; r <= RUNS; r++) {
        await configure(mesh, meshConfig(base));
        await mesh.up(quiet);
        await configure(mesh, meshConfig([...base, c4]));
        adding.push(await seconds(() => mesh.up(quiet)));
        await mesh.destroy(quiet);
        alone.push(await seconds(() => single.up(quiet)));
        await single.destroy(quiet);
        console.log(`run ${r}: adding c4 ${adding[r - 1].toFixed(1)} s, c4 alone ${alone[r - 1].toFixed(1)} s`);
    }
    const a = median(adding);
    const b = median(alone);
    console.log(`\nLocal kwok clusters, real engine, median of ${RUNS} (seconds)`);
    console.log(`adding a 4th cluster (primary, new network) to a running 3-cluster mesh: ${a.toFixed(1)}`);
    console.log(`creating that cluster's part alone (a 1-cluster mesh):                 ${b.toFixed(1)}`);
    console.log(`ratio: ${(a / b).toFixed(2)}× (target ≤ 1.3×)`);

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
