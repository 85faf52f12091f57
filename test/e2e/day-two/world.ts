/**
 * The local world for day-two scenarios, driven through Pulumi's Automation API: a scratch project
 * that runs this repository's program (so no stack file lands in the checkout), stacks whose
 * config is written per scenario, and kubectl reads of the local kwok clusters. The clusters and
 * the environment (PULUMI_HOME, backend, passphrase, toolchain on PATH) come from
 * scripts/local-env.sh and scripts/local-clusters.sh, which test/e2e/day-two.sh runs first.
 */
import { execFileSync } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as tls from "tls";
import { EngineEvent, LocalWorkspace, OpMap, Stack } from "@pulumi/pulumi/automation";

export const REPO = path.resolve(__dirname, "../../..");
const STATE = process.env.MESH_LOCAL_STATE ?? path.join(REPO, ".e2e");
export const PROJECT = path.join(STATE, "day-two", "project");

export interface LocalCluster {
    readonly name: string;
    readonly network: string;
    readonly role?: "primary" | "remote";
    readonly primary?: string;
}

export const kubeconfigOf = (cluster: string) => path.join(STATE, "clusters", cluster, "kubeconfig");

/** `mesh:*` config for a mesh over local clusters, as Pulumi.local.yaml writes it. */
export function meshConfig(clusters: readonly LocalCluster[], pki: Record<string, unknown> = {}): Record<string, unknown> {
    const charts = process.env.MESH_ISTIO_CHARTS;
    if (!charts) throw new Error("MESH_ISTIO_CHARTS is not set: run through test/e2e/day-two.sh (it sources scripts/local-env.sh)");
    return {
        meshId: "day-two",
        istio: { version: process.env.MESH_ISTIO_VERSION, chartRepository: charts, timeoutSeconds: 180 },
        pki: { organization: "Day Two", rootValidityDays: 365, intermediateValidityDays: 90, protectRoot: false, ...pki },
        // One pod each, as before mesh:availability (the local cloud runs one pilot-discovery per cluster).
        availability: { istiod: { replicas: 1 }, eastWestGateway: { replicas: 1 } },
        // No observability: its charts are not reachable from a default repository here, and the
        // scenarios pin what each change does to Istio (test/e2e/run.sh checks observability).
        observability: { metrics: { enabled: false }, global: { enabled: false }, grafana: { enabled: false } },
        clusters: clusters.map((c) => ({
            name: c.name,
            provider: "existing",
            network: c.network,
            role: c.role ?? "primary",
            ...(c.primary ? { primary: c.primary } : {}),
            existing: { kubeconfig: kubeconfigOf(c.name), podCidr: `198.19.${c.name.slice(1)}.0/24` },
        })),
    };
}

/** A scratch project whose program is this repository's: its files linked, its Pulumi.yaml copied. */
function project(): string {
    fs.mkdirSync(PROJECT, { recursive: true });
    fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(PROJECT, "Pulumi.yaml"));
    for (const f of fs.readdirSync(REPO)) {
        if (f.startsWith(".") || f.startsWith("Pulumi.")) continue;
        const link = path.join(PROJECT, f);
        if (!fs.existsSync(link)) fs.symlinkSync(path.join(REPO, f), link);
    }
    return PROJECT;
}

/** A stack of the scratch project with the given mesh config (replacing any earlier `mesh:*` keys). */
export async function meshStack(name: string, config: Record<string, unknown>): Promise<Stack> {
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: project() });
    await configure(stack, config);
    return stack;
}

export async function configure(stack: Stack, config: Record<string, unknown>): Promise<void> {
    const current = await stack.getAllConfig();
    const stale = Object.keys(current).filter((k) => k.startsWith("mesh:") && !(k.slice(5) in config));
    if (stale.length > 0) await stack.removeAllConfig(stale);
    await stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`mesh:${k}`, { value: typeof v === "string" ? v : JSON.stringify(v) }])));
}

/** The entries of a change summary that change something: not "same", and not the program's read of its own stack. */
export function changes(summary: OpMap | undefined): Record<string, number> {
    return Object.fromEntries(Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && op !== "read" && (n ?? 0) > 0)) as Record<string, number>;
}

/**
 * Collects, from an operation's engine events, each resource it would change or changed, with the
 * properties that differ: what a failed expectation on a change summary needs to say.
 */
export function stepRecorder(): { onEvent: (e: EngineEvent) => void; onOutput: () => void; changed: () => string[] } {
    const steps = new Map<string, string>();
    return {
        onEvent: (e) => {
            const m = e.resOutputsEvent?.metadata ?? e.resourcePreEvent?.metadata;
            // The program's read of its own stack (stacks/deployed.ts) follows the outputs of the
            // last up by design: not drift of the mesh.
            if (!m || m.op === "same" || m.op === "read" || m.type === "pulumi:pulumi:StackReference") return;
            let diffs = m.diffs ?? [];
            if (m.op === "refresh") {
                // A refresh step says "refresh" whatever it found: drift is outputs that differ.
                const before = m.old?.outputs ?? {};
                const after = m.new?.outputs ?? {};
                diffs = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
                if (diffs.length === 0 && m.new !== undefined) return;
            }
            steps.set(m.urn, `${m.op} ${m.urn.split("::").slice(-2).join("::")}${diffs.length ? ` (${diffs.join(", ")})` : ""}`);
        },
        onOutput: () => undefined,
        changed: () => [...steps.values()].sort(),
    };
}

export function kubectl(cluster: string, ...args: string[]): string {
    return execFileSync("kubectl", ["--kubeconfig", kubeconfigOf(cluster), "--request-timeout=20s", ...args], { encoding: "utf8" });
}

export function kubectlJson<T = any>(cluster: string, ...args: string[]): T {
    return JSON.parse(kubectl(cluster, ...args, "-o", "json"));
}

/** Every Deployment of istio-system with its generation: a rollout (a restart of its pods) bumps it. */
export function deploymentGenerations(cluster: string): Record<string, number> {
    const list = kubectlJson(cluster, "-n", "istio-system", "get", "deployments");
    return Object.fromEntries(list.items.map((d: any) => [d.metadata.name, d.metadata.generation]));
}

export function cacerts(cluster: string): Record<string, string> {
    const s = kubectlJson(cluster, "-n", "istio-system", "get", "secret", "cacerts");
    return Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

/**
 * The certificate chain the cluster's istiod serves on its webhook port (the local cloud runs it on
 * the host: scripts/local-cloud/istiod.mjs), as PEMs, leaf first.
 */
export function servedChain(clusterIndex: number): Promise<string[]> {
    const port = 20000 + 100 * clusterIndex + 17;
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, servername: "istiod.istio-system.svc", rejectUnauthorized: false }, () => {
            const chain: string[] = [];
            const seen = new Set<string>();
            for (let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
                seen.add(c.fingerprint256);
                chain.push(`-----BEGIN CERTIFICATE-----\n${c.raw.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n?$/, "\n")}-----END CERTIFICATE-----\n`);
            }
            socket.end();
            resolve(chain);
        });
        socket.on("error", reject);
    });
}

/** Polls `check` until it returns true or the time is up. */
export async function eventually(what: string, seconds: number, check: () => Promise<boolean> | boolean): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        if (await check()) return;
        if (Date.now() > deadline) throw new Error(`timed out after ${seconds}s waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 2000));
    }
}

export function istiodClusters(clusterIndex: number): Promise<{ id: string; syncStatus: string }[]> {
    return fetch(`http://127.0.0.1:${20000 + 100 * clusterIndex + 80}/debug/clusterz`).then((r) => r.json() as Promise<{ id: string; syncStatus: string }[]>);
}

/** The fingerprints of the certificates in a PEM bundle. */
export function fingerprints(bundle: string): string[] {
    return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem).fingerprint256).sort();
}

/** The roots istiod distributes to workloads: the `istio-ca-root-cert` ConfigMap it keeps in every namespace. */
export function distributedRoots(cluster: string, namespace = "default"): string[] {
    const cm = kubectlJson(cluster, "-n", namespace, "get", "configmap", "istio-ca-root-cert");
    return fingerprints(cm.data["root-cert.pem"] ?? "");
}

/** The statuses of a Helm release's revisions in a cluster (Helm's storage Secrets), oldest first. */
export function helmRevisions(cluster: string, release: string, namespace = "istio-system"): string[] {
    const list = kubectlJson(cluster, "-n", namespace, "get", "secrets", "-l", `owner=helm,name=${release}`);
    return list.items
        .sort((a: any, b: any) => Number(a.metadata.labels.version) - Number(b.metadata.labels.version))
        .map((s: any) => s.metadata.labels.status as string);
}

/** The pulumi CLI on a stack of the scratch project, as a user runs it. */
export function pulumiCli(...args: string[]): string {
    return execFileSync("pulumi", [...args, "--non-interactive"], { cwd: project(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * scripts/mesh-check on a stack of the scratch project, as an operator runs it: its config as a
 * stack file, its outputs (secrets included: the CLI would read them with --show-secrets), the
 * local clusters' admin kubeconfigs from the config. Its rows (--json); exit 2 (it could not run) throws.
 */
export async function meshCheck(stack: Stack, config: Record<string, unknown>): Promise<{ status: string; check: string; subject: string; detail: string }[]> {
    const dir = fs.mkdtempSync(path.join(STATE, "day-two", "check-"));
    try {
        const file = path.join(dir, "Pulumi.day-two.yaml");
        fs.writeFileSync(file, JSON.stringify({ config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`mesh:${k}`, v])) }));
        const outputs = path.join(dir, "outputs.json");
        fs.writeFileSync(outputs, JSON.stringify(Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]))), { mode: 0o600 });
        let out: string;
        try {
            out = execFileSync(path.join(REPO, "scripts/mesh-check"), ["--stack", stack.name, "--config", file, "--outputs", outputs, "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        } catch (e) {
            const err = e as { status?: number; stdout?: string; stderr?: string };
            if (err.status !== 1 || !err.stdout) throw new Error(`mesh-check exited ${err.status}: ${err.stderr}`);
            out = err.stdout;
        }
        return JSON.parse(out).rows;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * `pid` and every process below it, read from /proc before any is killed: the engine starts its
 * plugins in process groups of their own, and a cancelled CI runner ends them all (its job's
 * cgroup), which a kill of the engine's group alone would not.
 */
export function processTree(pid: number): number[] {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        let stat: string;
        try {
            stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        } catch {
            continue; // exited meanwhile
        }
        // "pid (comm) state ppid …": comm may hold spaces and parentheses.
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    }
    const tree: number[] = [];
    for (const todo = [pid]; todo.length > 0; ) {
        const p = todo.pop()!;
        tree.push(p);
        todo.push(...(children.get(p) ?? []));
    }
    return tree;
}
