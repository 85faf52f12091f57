/**
 * Day two on the local clusters with the real engine, one running mesh changed step by step as a
 * platform team would: each change's preview must show only what the change needs, the change
 * must touch no other cluster's istiod or gateway, and trust must hold (the real istiods).
 * Run by test/e2e/day-two.sh (npm run test:e2e:day-two).
 */
import { execFileSync, spawn } from "child_process";
import { X509Certificate } from "crypto";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { cacerts, changes, configure, deploymentGenerations, distributedRoots, eventually, fingerprints, helmRevisions, istiodClusters, kubeconfigOf, kubectl, kubectlJson, LocalCluster, meshCheck, meshConfig, meshStack, PROJECT, processTree, pulumiCli, REPO, servedChain, stepRecorder } from "./world";

const base: LocalCluster[] = [
    { name: "c1", network: "net1" },
    { name: "c2", network: "net2" },
    { name: "c3", network: "net3", role: "remote", primary: "c1" },
];
const c4: LocalCluster = { name: "c4", network: "net4" };
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const quiet = { onOutput: () => undefined };

let stack: Stack;
/** Seconds each timed step took, printed at the end. */
const timings: Record<string, number> = {};
async function timed<T>(label: string, step: () => Promise<T>): Promise<T> {
    const t = Date.now();
    try {
        return await step();
    } finally {
        timings[label] = (Date.now() - t) / 1000;
    }
}

/** The istiods of c1 and c2 report every other cluster of `clusters` as synced. */
async function syncedEverywhere(clusters: string[], seconds = 90) {
    for (const [index, name] of [[1, "c1"], [2, "c2"]] as const) {
        const others = clusters.filter((c) => c !== name);
        await eventually(`istiod of ${name} to sync ${others.join(", ")}`, seconds, async () => {
            const synced = (await istiodClusters(index)).filter((c) => c.syncStatus === "synced").map((c) => c.id);
            return others.every((o) => synced.includes(o));
        });
    }
}

beforeAll(async () => {
    stack = await meshStack("day-two", meshConfig(base));
    await timed("up (3 clusters)", () => stack.up(quiet));
});

afterAll(async () => {
    if (process.env.E2E_KEEP !== "1") await stack?.destroy(quiet);
    console.log(Object.entries(timings).map(([k, v]) => `${k}: ${v.toFixed(1)} s`).join("\n"));
});

test("after up, refresh finds no drift and the preview no change, istiod-written webhook fields included", async () => {
    const refresh = stepRecorder();
    await stack.refresh(refresh);
    expect(refresh.changed()).toEqual([]);
    const preview = stepRecorder();
    await stack.preview(preview);
    expect(preview.changed()).toEqual([]);
});

test("adding a primary creates its part and the remote secrets that join it; no other istiod or gateway restarts", async () => {
    const before = { c1: deploymentGenerations("c1"), c2: deploymentGenerations("c2"), c3: deploymentGenerations("c3") };
    await configure(stack, meshConfig([...base, c4]));
    const preview = await stack.preview(quiet);
    expect(changes(preview.changeSummary)).toEqual({ create: expect.any(Number) });
    await timed("up adding c4", () => stack.up(quiet));
    expect({ c1: deploymentGenerations("c1"), c2: deploymentGenerations("c2"), c3: deploymentGenerations("c3") }).toEqual(before);
    await syncedEverywhere(["c1", "c2", "c3", "c4"], 60);
});

test("re-issuing the intermediates updates every cacerts in place, keeps the root, and istiod serves the new chain", async () => {
    const old = { c1: cacerts("c1"), c2: cacerts("c2") };
    await configure(stack, meshConfig([...base, c4], { intermediateGeneration: 2 }));
    const preview = await stack.preview(quiet);
    // Per primary: key, request and certificate replaced; cacerts updated, never deleted.
    expect(changes(preview.changeSummary)).toEqual({ replace: 9, update: 3 });
    await timed("up re-issuing intermediates", () => stack.up(quiet));
    for (const [cluster, index] of [["c1", 1], ["c2", 2]] as const) {
        const now = cacerts(cluster);
        expect(fingerprint(now["root-cert.pem"])).toBe(fingerprint(old[cluster]["root-cert.pem"]));
        expect(fingerprint(now["ca-cert.pem"])).not.toBe(fingerprint(old[cluster]["ca-cert.pem"]));
        expect(new X509Certificate(now["ca-cert.pem"]).verify(new X509Certificate(now["root-cert.pem"]).publicKey)).toBe(true);
        // istiod reloads plug-in certs (pilot/pkg/bootstrap/istio_ca.go) and re-issues its own serving certificate.
        await eventually(`istiod of ${cluster} to serve a certificate from the new intermediate`, 90, async () => {
            const chain = await servedChain(index);
            return chain.length > 1 && new X509Certificate(chain[0]).checkIssued(new X509Certificate(now["ca-cert.pem"]));
        });
    }
});

test("rotating the reader tokens switches every remote secret with an overlap; the istiods stay synced and the old tokens go", async () => {
    const config = meshConfig([...base, c4], { intermediateGeneration: 2 });
    await configure(stack, { ...config, remoteSecrets: { tokenGeneration: 2 } });
    const preview = await stack.preview(quiet);
    // Per cluster a new token (4) and its old one deleted (4); every remote secret updated in place (3 primaries × 3).
    expect(changes(preview.changeSummary)).toEqual({ create: 4, delete: 4, update: 9 });
    await timed("up rotating reader tokens", () => stack.up(quiet));
    for (const c of ["c1", "c2", "c3", "c4"]) {
        const names = kubectl(c, "-n", "istio-system", "get", "secrets", "-o", "name");
        expect(names).toContain("secret/istio-reader-service-account-istio-remote-secret-token-2");
        expect(names).not.toMatch(/secret\/istio-reader-service-account-istio-remote-secret-token\n/);
    }
    const token = Buffer.from(kubectlJson("c3", "-n", "istio-system", "get", "secret", "istio-reader-service-account-istio-remote-secret-token-2").data.token, "base64").toString();
    const kubeconfig = Buffer.from(kubectlJson("c1", "-n", "istio-system", "get", "secret", "istio-remote-secret-c3").data.c3, "base64").toString();
    expect(kubeconfig).toContain(token);
    await syncedEverywhere(["c1", "c2", "c3", "c4"]);
});

/** The mesh as the scenarios above left it: intermediates and reader tokens at their second generation. */
const rotated = (clusters: LocalCluster[], pki: Record<string, unknown> = {}) => ({ ...meshConfig(clusters, { intermediateGeneration: 2, ...pki }), remoteSecrets: { tokenGeneration: 2 } });

test("a config edit that would replace the root is refused before any change, naming the key", async () => {
    await configure(stack, rotated([...base, c4], { organization: "Renamed" }));
    await expect(stack.preview(quiet)).rejects.toThrow(/mesh:pki\.organization: "Renamed" would replace the running mesh's root CA, issued with "Day Two"/);
    await configure(stack, rotated([...base, c4]));
});

test("removing a cluster deletes its part and the remote secrets that watch it, and nothing else", async () => {
    const before = { c1: deploymentGenerations("c1"), c2: deploymentGenerations("c2") };
    await configure(stack, rotated(base));
    const preview = await stack.preview(quiet);
    expect(changes(preview.changeSummary)).toEqual({ delete: expect.any(Number) });
    await timed("up removing c4", () => stack.up(quiet));
    expect({ c1: deploymentGenerations("c1"), c2: deploymentGenerations("c2") }).toEqual(before);
    await eventually("istiod of c1 to let c4 go", 60, async () => !(await istiodClusters(1)).some((c) => c.id === "c4"));
    expect(changes((await stack.preview(quiet)).changeSummary)).toEqual({});
});

describe("root CA rotation, phase by phase, with the real istiods", () => {
    const phase = (p?: "trust" | "issue" | "retire", rootGeneration = 1) => {
        const config: Record<string, any> = rotated(base);
        return { ...config, pki: { ...config.pki, rootGeneration, ...(p ? { rotation: { phase: p } } : {}) } };
    };
    let oldRoot: string;
    let newRoot: string;
    /** Every primary's cacerts trusts `roots`, and istiod hands exactly those to the workloads of every cluster it serves. */
    async function distributes(roots: string[]) {
        const want = roots.flatMap(fingerprints).sort();
        for (const c of ["c1", "c2"]) expect(fingerprints(cacerts(c)["root-cert.pem"])).toEqual(want);
        for (const c of ["c1", "c2", "c3"]) await eventually(`istiod to distribute ${roots.length} root(s) in ${c}`, 90, () => JSON.stringify(distributedRoots(c)) === JSON.stringify(want));
    }
    /** istiod of c1 and c2 serve certificates from their current intermediate. */
    async function servesFromCurrentIntermediate() {
        for (const [c, index] of [["c1", 1], ["c2", 2]] as const) {
            const intermediate = new X509Certificate(cacerts(c)["ca-cert.pem"]);
            await eventually(`istiod of ${c} to serve from its current intermediate`, 90, async () => new X509Certificate((await servedChain(index))[0]).checkIssued(intermediate));
        }
    }
    const up = async (label: string, expected: Record<string, number>) => {
        expect(changes((await stack.preview(quiet)).changeSummary)).toEqual(expected);
        await timed(label, () => stack.up(quiet));
    };
    /**
     * scripts/mesh-check on the mesh as this phase left it passes, every row (istiods restarted by
     * the phase may still be syncing at first); `roots` is what its trust row must report.
     */
    async function meshCheckPasses(config: Record<string, unknown>, roots: RegExp) {
        let rows: Awaited<ReturnType<typeof meshCheck>> = [];
        await eventually("mesh-check to pass", 90, async () => {
            rows = await meshCheck(stack, config);
            return rows.every((r) => r.status === "PASS");
        }).catch(() => undefined);
        expect(rows.filter((r) => r.status !== "PASS")).toEqual([]);
        expect(rows.find((r) => r.check === "root shared")?.detail).toMatch(roots);
    }

    test("trust: a second root, trusted everywhere, multi-root istiods", async () => {
        oldRoot = cacerts("c1")["root-cert.pem"];
        await configure(stack, phase("trust"));
        // root 2 key and cert; 2 cacerts; 2 primaries' istiod and the remote's base and istiod.
        await up("rotation: trust", { create: 2, update: 6 });
        newRoot = cacerts("c1")["root-cert.pem"].replace(oldRoot, "");
        expect(fingerprints(newRoot)).toHaveLength(1);
        await distributes([oldRoot, newRoot]);
        await servesFromCurrentIntermediate();
        await meshCheckPasses(phase("trust"), /: 2 roots trusted \(a root rotation\): .*; issuing from day-two Root CA$/);
    });

    test("issue: intermediates from the new root, both roots still trusted", async () => {
        await configure(stack, phase("issue"));
        // Per primary a new IntermediateCa under root 2 (the component, its key, request and
        // certificate: 4) and the old one's 4 deleted; the 2 cacerts updated in place.
        await up("rotation: issue", { create: 8, delete: 8, update: 2 });
        for (const c of ["c1", "c2"]) expect(new X509Certificate(cacerts(c)["ca-cert.pem"]).verify(new X509Certificate(newRoot).publicKey)).toBe(true);
        await distributes([oldRoot, newRoot]);
        await servesFromCurrentIntermediate();
        await meshCheckPasses(phase("issue"), /: 2 roots trusted \(a root rotation\): .*; issuing from day-two Root CA 2$/);
    });

    test("retire: the old root goes; only the new root is trusted", async () => {
        await configure(stack, phase("retire"));
        await up("rotation: retire", { delete: 2, update: 4 });
        await distributes([newRoot]);
        await servesFromCurrentIntermediate();
        await meshCheckPasses(phase("retire"), /: one root, O=Day Two, CN=day-two Root CA 2, /);
    });

    test("done: rootGeneration 2 turns multi-root trust off; nothing else changes", async () => {
        await configure(stack, phase(undefined, 2));
        await up("rotation: done", { update: 2 });
        await distributes([newRoot]);
        expect(changes((await stack.preview(quiet)).changeSummary)).toEqual({});
    });
});


describe("faults during a change", () => {
    /** The mesh as the rotation left it, with c4 joining. */
    const withC4 = (extra: Record<string, unknown> = {}) => ({ ...rotated([...base, c4], { rootGeneration: 2 }), ...extra });

    test("an up adding a cluster, killed during its operations, fails as a new user met it, and converges after scripts/recover.sh", async () => {
        await configure(stack, withC4());
        // The engine and its plugins killed at once (a cancelled CI runner) the moment Helm starts
        // c4's istio-base: the release exists in the cluster, the state never learns of it.
        const engine = spawn("pulumi", ["up", "--stack", "day-two", "--yes", "--skip-preview", "--suppress-progress", "--non-interactive"], { cwd: PROJECT, detached: true, stdio: "ignore" });
        const exited = new Promise((resolve) => engine.once("exit", resolve));
        const deadline = Date.now() + 300_000;
        while (helmRevisions("c4", "istio-base").length === 0) {
            if (Date.now() > deadline || engine.exitCode !== null) throw new Error("c4's istio-base release never started");
            await new Promise((r) => setTimeout(r, 200));
        }
        for (const pid of processTree(engine.pid!)) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // already gone
            }
        }
        await exited;
        pulumiCli("cancel", "--stack", "day-two", "--yes");
        await expect(stack.up(quiet)).rejects.toThrow(/cannot re-use a name that is still in use/);

        const recovery = execFileSync(path.join(REPO, "scripts/recover.sh"), ["day-two"], { cwd: PROJECT, encoding: "utf8" });
        expect(recovery).toMatch(/istio-base \(Helm release istio-base\): to be installed, but a record exists/);
        await timed("up after recovery", () => stack.up(quiet));
        expect(helmRevisions("c4", "istio-base")).toEqual(["deployed"]);
        expect(changes((await stack.preview(quiet)).changeSummary)).toEqual({});
        await syncedEverywhere(["c1", "c2", "c3", "c4"]);
    });

    test("a cluster whose API server is down fails only its own part, with its name; the next up after it returns finishes", async () => {
        const token = (cluster: string, generation: number) => kubectl(cluster, "-n", "istio-system", "get", "secrets", "-o", "name").includes(`secret/istio-reader-service-account-istio-remote-secret-token-${generation}\n`);
        const watchedWith = (primary: string, cluster: string) => Buffer.from(kubectlJson(primary, "-n", "istio-system", "get", "secret", `istio-remote-secret-${cluster}`).data[cluster], "base64").toString();
        const tokenOf = (cluster: string, generation: number) => Buffer.from(kubectlJson(cluster, "-n", "istio-system", "get", "secret", `istio-reader-service-account-istio-remote-secret-token-${generation}`).data.token, "base64").toString();
        // A change that touches every cluster: every reader token rotates.
        await configure(stack, withC4({ remoteSecrets: { tokenGeneration: 3 } }));
        execFileSync("kwokctl", ["stop", "cluster", "--name", "mesh-c4"], { stdio: "ignore" });
        try {
            const failed = stepRecorder();
            await expect(stack.up({ ...failed, continueOnError: true })).rejects.toThrow(/c4[\s\S]*(unreachable|connection refused)/);
            // Every other cluster took its part: new token, remote secrets switched. Their old tokens
            // stay: c4's remote secrets, which could not be switched, still carry them, and the engine
            // deletes nothing a failed step's old state depends on (deployment_executor.go
            // performPostSteps), so c4's istiod keeps watching the others.
            for (const c of ["c1", "c2", "c3"]) {
                expect(token(c, 3)).toBe(true);
                expect(token(c, 2)).toBe(true);
            }
            expect(watchedWith("c1", "c2")).toContain(tokenOf("c2", 3));
            expect(watchedWith("c2", "c3")).toContain(tokenOf("c3", 3));
        } finally {
            execFileSync("bash", [path.join(REPO, "scripts/local-clusters.sh"), "up", "4"], { cwd: REPO, stdio: "ignore" });
        }
        await timed("up after the cluster returned", () => stack.up(quiet));
        expect(token("c4", 3)).toBe(true);
        for (const c of ["c1", "c2", "c3", "c4"]) expect(token(c, 2)).toBe(false);
        expect(watchedWith("c1", "c4")).toContain(tokenOf("c4", 3));
        expect(changes((await stack.preview(quiet)).changeSummary)).toEqual({});
        await syncedEverywhere(["c1", "c2", "c3", "c4"]);
    });
});

describe("moving a remote to another primary, then promoting it", () => {
    /** The mesh as the faults left it (c1, c2, c4 primaries), with c3 as given. */
    const withC3 = (c3: LocalCluster) => ({ ...rotated([base[0], base[1], c3, c4], { rootGeneration: 2 }), remoteSecrets: { tokenGeneration: 3 } });
    const injectsIn = (cluster: string): boolean => {
        execFileSync("kubectl", ["--kubeconfig", kubeconfigOf(cluster), "apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "moved", labels: { "istio-injection": "enabled" } } }) });
        const pod = { apiVersion: "v1", kind: "Pod", metadata: { generateName: "probe-", namespace: "moved" }, spec: { containers: [{ name: "app", image: "registry.local/app:1" }] } };
        const created = JSON.parse(execFileSync("kubectl", ["--kubeconfig", kubeconfigOf(cluster), "create", "--dry-run=server", "-o", "json", "-f", "-"], { input: JSON.stringify(pod), encoding: "utf8" }));
        return (created.spec.containers ?? []).some((c: any) => c.name === "istio-proxy") || (created.spec.initContainers ?? []).some((c: any) => c.name === "istio-proxy");
    };
    /** Where c3's injector sends its calls: a URL (through c1's hostname load balancer) or its Service `istiod`. */
    const injectorOf = (cluster: string) => {
        const mwc = kubectlJson(cluster, "get", "mutatingwebhookconfiguration", "istio-sidecar-injector");
        const cc = mwc.webhooks[0].clientConfig;
        return cc.url ?? `service ${cc.service.namespace}/${cc.service.name}`;
    };

    test("moving c3 from c1 to c2 changes c3's webhooks and the two primaries' exposure, nothing of c4; both istiods keep watching it", async () => {
        expect(injectorOf("c3")).toMatch(/^https:\/\/.*\.elb\.c1\.mesh\.test:15017\/inject\/cluster\/c3\/net\/net3$/);
        const c4Before = deploymentGenerations("c4");
        await configure(stack, withC3({ ...base[2], primary: "c2" }));
        const preview = stepRecorder();
        const summary = changes((await stack.preview(preview)).changeSummary);
        expect(Object.keys(summary).filter((op) => !["create", "update", "delete"].includes(op))).toEqual([]);
        expect(preview.changed().filter((s) => s.includes("mesh-c4-"))).toEqual([]);
        await timed("up moving c3 to c2", () => stack.up(quiet));
        // c2's load balancers have IPs: the Service path, whose EndpointSlice is c2's gateway.
        expect(injectorOf("c3")).toBe("service istio-system/istiod");
        expect(kubectl("c3", "-n", "istio-system", "get", "endpointslices", "-l", "kubernetes.io/service-name=istiod", "-o", "jsonpath={.items[*].endpoints[*].addresses[*]}")).toMatch(/^198\.18\.2\./);
        await eventually("c3's pods to be injected through c2", 90, async () => injectsIn("c3"));
        expect(deploymentGenerations("c4")).toEqual(c4Before);
        await syncedEverywhere(["c1", "c2", "c3", "c4"]);
        expect(changes((await stack.preview(quiet)).changeSummary)).toEqual({});
    });

    test("promoting c3 gives it a CA, a full istiod and remote secrets for every other cluster; its istiod syncs them and injects its pods", async () => {
        await configure(stack, withC3({ name: "c3", network: "net3" }));
        const preview = stepRecorder();
        const summary = changes((await stack.preview(preview)).changeSummary);
        expect(Object.keys(summary).filter((op) => !["create", "update", "delete"].includes(op))).toEqual([]);
        expect(preview.changed().filter((s) => s.includes("mesh-c4-") && !s.includes("remote-c3"))).toEqual([]);
        await timed("up promoting c3", () => stack.up(quiet));
        expect(Object.keys(cacerts("c3")).sort()).toEqual(["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
        await eventually("istiod of c3 to sync c1, c2, c4", 120, async () => {
            const synced = (await istiodClusters(3).catch(() => [])).filter((c) => c.syncStatus === "synced").map((c) => c.id);
            return ["c1", "c2", "c4"].every((c) => synced.includes(c));
        });
        await syncedEverywhere(["c1", "c2", "c3", "c4"]);
        await eventually("c3's pods to be injected by its own istiod", 90, async () => injectsIn("c3"));
        expect(changes((await stack.preview(quiet)).changeSummary)).toEqual({});
        kubectl("c3", "delete", "namespace", "moved", "--ignore-not-found", "--wait=false");
    });
});
