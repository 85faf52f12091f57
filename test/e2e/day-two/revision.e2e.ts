/**
 * Istio upgrade by revision on the local clusters, with the real engine and real istiods: a mesh
 * installed in place at the toolchain's older Istio (ISTIO_PREV_VERSION) gets the toolchain's
 * Istio (ISTIO_VERSION) as a canary revision, the `default` tag moves to it on c1, then on the
 * other clusters, and the old install is removed. At each step the preview shows only what the
 * step needs, and the webhooks the clusters really call decide which istiod injects a pod (a
 * server-side dry run runs the mutating webhooks: the sidecar's image tag names the istiod that
 * injected it). Run by test/e2e/day-two.sh after the other day-two scenarios.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { changes, configure, deploymentGenerations, eventually, kubeconfigOf, kubectl, kubectlJson, LocalCluster, meshConfig, meshStack, REPO } from "./world";

const clusters: LocalCluster[] = [
    { name: "c1", network: "net1" },
    { name: "c2", network: "net2" },
    // c3 reaches c1's istiods by URL (c1's load balancers have hostnames), c4 through its Services
    // `istiod`/`istiod-<rev>`, whose EndpointSlices are c2's gateway IP.
    { name: "c3", network: "net3", role: "remote", primary: "c1" },
    { name: "c4", network: "net2", role: "remote", primary: "c2" },
];
const NAMES = clusters.map((c) => c.name);
const quiet = { onOutput: () => undefined };

/** The two Istio releases the toolchain builds (scripts/toolchain/versions.env). */
function pins(): { old: string; oldCharts: string; canary: string; canaryCharts: string } {
    const env = Object.fromEntries(
        fs
            .readFileSync(path.join(REPO, "scripts/toolchain/versions.env"), "utf8")
            .split("\n")
            .map((l) => /^([A-Z_]+)=(\S*)/.exec(l))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => [m[1], m[2]]),
    );
    const dir = process.env.MESH_TOOLCHAIN_DIR ?? path.join(process.env.HOME ?? "", ".cache/mesh-toolchain");
    // E2E_ISTIO_FROM=<the toolchain's ISTIO_VERSION> walks the same steps with one version on both
    // sides (the revision that injected still tells them apart), without the second build.
    const old = process.env.E2E_ISTIO_FROM ?? env.ISTIO_PREV_VERSION;
    return { old, oldCharts: path.join(dir, "istio-charts", old), canary: env.ISTIO_VERSION, canaryCharts: path.join(dir, "istio-charts", env.ISTIO_VERSION) };
}
const v = pins();
const CANARY = v.canary.replace(/\./g, "-");

/** The mesh at the old version, in place, with `istio` settings on top. */
function config(istio: Record<string, unknown> = {}): Record<string, unknown> {
    const c = meshConfig(clusters);
    return { ...c, istio: { ...(c.istio as object), version: v.old, chartRepository: v.oldCharts, ...istio } };
}
const OLD_REVISION = { name: "default", version: v.old };
const CANARY_REVISION = { name: CANARY, version: v.canary, chartRepository: v.canaryCharts };

/** Which istiod injected a pod: `<revision>@<proxy image tag>`, from the injector's status annotation (pkg/kube/inject), or "none". */
function injectedBy(pod: any): string {
    const proxy = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])].find((c: any) => c.name === "istio-proxy");
    const status = pod.metadata.annotations?.["sidecar.istio.io/status"];
    return proxy && status ? `${JSON.parse(status).revision}@${String(proxy.image).split(":").pop()}` : "none";
}
const OLD = `default@${v.old}`;
const NEW = `${CANARY}@${v.canary}`;

/** Who injects a pod created now in `namespace`. */
function injectedVersion(cluster: string, namespace: string): string {
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { generateName: "probe-", namespace }, spec: { containers: [{ name: "app", image: "registry.local/app:1" }] } };
    return injectedBy(execKubectlStdin(cluster, JSON.stringify(pod), "create", "--dry-run=server", "-o", "json", "-f", "-"));
}

function execKubectlStdin(cluster: string, input: string, ...args: string[]): any {
    return JSON.parse(execFileSync("kubectl", ["--kubeconfig", kubeconfigOf(cluster), "--request-timeout=30s", ...args], { input, encoding: "utf8" }));
}

/** What each cluster injects in a namespace that follows the default tag, and in one labelled with the canary revision. */
function injection(): Record<string, { tagged: string; canary: string }> {
    return Object.fromEntries(NAMES.map((c) => [c, { tagged: injectedVersion(c, "rev-tagged"), canary: injectedVersion(c, "rev-canary") }]));
}

/** Who injected the east-west gateway's pods in a cluster. */
function gatewayProxyVersions(cluster: string): string[] {
    const pods = kubectlJson(cluster, "-n", "istio-system", "get", "pods", "-l", "app=istio-eastwestgateway");
    return [...new Set<string>(pods.items.filter((p: any) => !p.metadata.deletionTimestamp).map(injectedBy))];
}

/** The ports the local cloud gave each istiod revision of a cluster (scripts/local-cloud/istiod.mjs). */
function istiodPorts(cluster: string): Record<string, { http: number }> {
    const file = path.join(process.env.MESH_LOCAL_STATE ?? path.join(REPO, ".e2e"), "local-cloud/istiod", cluster, "ports.json");
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
}

async function serving(cluster: string, revision: string): Promise<boolean> {
    const port = istiodPorts(cluster)[revision]?.http;
    return port !== undefined && (await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false));
}

async function synced(cluster: string, revision: string): Promise<string[]> {
    const port = istiodPorts(cluster)[revision]?.http;
    if (port === undefined) return [];
    const list = (await fetch(`http://127.0.0.1:${port}/debug/clusterz`).then((r) => r.json(), () => [])) as { id: string; syncStatus: string }[];
    // istiod lists its own cluster too (no secret); only the others are watched through remote secrets.
    return list.filter((c) => c.syncStatus === "synced" && c.id !== cluster).map((c) => c.id).sort();
}

function generations(): Record<string, Record<string, number>> {
    return Object.fromEntries(NAMES.map((c) => [c, deploymentGenerations(c)]));
}

let stack: Stack;
const timings: Record<string, number> = {};
async function up(label: string): Promise<void> {
    const t = Date.now();
    try {
        await stack.up(quiet);
    } finally {
        timings[label] = (Date.now() - t) / 1000;
    }
}

beforeAll(async () => {
    for (const c of NAMES) {
        for (const [ns, label] of [["rev-tagged", "istio-injection=enabled"], ["rev-canary", `istio.io/rev=${CANARY}`]]) {
            execFileSync("kubectl", ["--kubeconfig", kubeconfigOf(c), "apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }), encoding: "utf8" });
            kubectl(c, "label", "--overwrite", "namespace", ns, label);
        }
    }
    stack = await meshStack("revision", config());
    await up(`up (4 clusters, Istio ${v.old} in place)`);
});

afterAll(async () => {
    if (process.env.E2E_KEEP !== "1") await stack?.destroy(quiet);
    for (const c of NAMES) kubectl(c, "delete", "namespace", "rev-tagged", "rev-canary", "--ignore-not-found", "--wait=false");
    console.log(Object.entries(timings).map(([k, s]) => `${k}: ${s.toFixed(1)} s`).join("\n"));
});

test(`the in-place install runs Istio ${v.old}; naming it revision "default" changes nothing`, async () => {
    expect(injection()).toEqual(Object.fromEntries(NAMES.map((c) => [c, { tagged: OLD, canary: "none" }])));
    for (const c of NAMES) expect(gatewayProxyVersions(c)).toEqual([OLD]);
    await configure(stack, config({ revisions: [OLD_REVISION] }));
    expect(changes((await stack.preview(quiet)).changeSummary)).toEqual({});
});

test(`adding ${v.canary} as a canary creates its istiods next to the old ones and moves only the CRDs; namespaces labelled with the canary get it`, async () => {
    const before = generations();
    await configure(stack, config({ revisions: [OLD_REVISION, CANARY_REVISION] }));
    // Per cluster the canary's istiod release; on c1 and c2 (serving remotes) its route on the gateway; base upgraded in every cluster.
    expect(changes((await stack.preview(quiet)).changeSummary)).toEqual(v.old === v.canary ? { create: 6 } : { create: 6, update: 4 });
    await up("up adding the canary");
    // Nothing that ran rolled: the new Deployments are the canary's.
    for (const c of NAMES) expect(Object.fromEntries(Object.entries(generations()[c]).filter(([d]) => d in before[c]))).toEqual(before[c]);
    for (const c of ["c1", "c2"]) {
        await eventually(`both istiods of ${c} to serve`, 120, async () => (await serving(c, "default")) && (await serving(c, CANARY)));
        await eventually(`the canary of ${c} to sync every other cluster`, 120, async () => (await synced(c, CANARY)).length === 3);
    }
    // c3's webhooks reach c1 by URL, where SNI names the gateway, not a revision: its canary
    // namespace goes to the istiod c1's default tag points at (README, Operations).
    expect(injection()).toEqual({ c1: { tagged: OLD, canary: NEW }, c2: { tagged: OLD, canary: NEW }, c3: { tagged: OLD, canary: OLD }, c4: { tagged: OLD, canary: NEW } });
    for (const c of NAMES) expect(gatewayProxyVersions(c)).toEqual([OLD]);
});

test("moving the default tag on c1 changes c1 alone: its namespaces and gateway go to the canary, the other clusters keep the old revision", async () => {
    const others = Object.fromEntries(["c2", "c4"].map((c) => [c, deploymentGenerations(c)]));
    await configure(stack, config({ revisions: [OLD_REVISION, CANARY_REVISION], clusterTags: { c1: { default: CANARY } } }));
    // c1: both istiod releases, base, the gateway, and istiod-vs (c3's URL webhooks follow c1's default tag).
    expect(changes((await stack.preview(quiet)).changeSummary)).toEqual({ update: 5 });
    await up("up moving the tag on c1");
    await eventually("c1's gateway to be re-injected by the canary", 120, () => gatewayProxyVersions("c1").join() === NEW);
    expect(gatewayProxyVersions("c2")).toEqual([OLD]);
    expect(Object.fromEntries(["c2", "c4"].map((c) => [c, deploymentGenerations(c)]))).toEqual(others);
    // c3's own tag has not moved, but its webhooks reach c1 by URL, where the default tag now is the
    // canary: once c1's gateway has drained the connections its old route kept (45 s, Istio's
    // drainDuration; the local cloud's forwarder does the same), c3's API server reaches the canary.
    await eventually("c3's webhooks to reach c1's canary", 120, () => injectedVersion("c3", "rev-tagged") === NEW);
    expect(injection()).toEqual({ c1: { tagged: NEW, canary: NEW }, c2: { tagged: OLD, canary: NEW }, c3: { tagged: NEW, canary: NEW }, c4: { tagged: OLD, canary: NEW } });
    const mwc = kubectlJson("c1", "get", "mutatingwebhookconfigurations");
    expect(mwc.items.map((w: any) => w.metadata.name).sort()).toEqual([`istio-revision-tag-default`, `istio-sidecar-injector-${CANARY}`]);
});

test("then on the other clusters: every cluster injects the canary, every gateway runs it", async () => {
    await configure(stack, config({ revisions: [OLD_REVISION, CANARY_REVISION], tags: { default: CANARY } }));
    await up("up moving the tag everywhere");
    for (const c of ["c2", "c3", "c4"]) await eventually(`${c}'s gateway to be re-injected by the canary`, 120, () => gatewayProxyVersions(c).join() === NEW);
    expect(injection()).toEqual(Object.fromEntries(NAMES.map((c) => [c, { tagged: NEW, canary: NEW }])));
});

test("removing the old revision only deletes its istiods; the canary keeps injecting and watching every cluster", async () => {
    await configure(stack, config({ revisions: [CANARY_REVISION], tags: { default: CANARY } }));
    expect(changes((await stack.preview(quiet)).changeSummary)).toEqual({ delete: 4 });
    await up("up removing the old revision");
    for (const c of ["c1", "c2"]) {
        expect(Object.keys(deploymentGenerations(c)).sort()).toEqual(["istio-eastwestgateway", `istiod-${CANARY}`]);
        expect(await synced(c, CANARY)).toEqual(NAMES.filter((o) => o !== c));
    }
    expect(injection()).toEqual(Object.fromEntries(NAMES.map((c) => [c, { tagged: NEW, canary: NEW }])));
    expect(changes((await stack.preview(quiet)).changeSummary)).toEqual({});
});
