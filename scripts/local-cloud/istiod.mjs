// The kubelet of a primary's istiods, locally. kwok pods run nothing, so each istiod Deployment
// the chart installs (`istiod`, and `istiod-<rev>` per canary revision) is run here instead: the real pilot-discovery, built from the pinned Istio
// module, with the pod template's args and env, its `cacerts` Secret mounted as files where the
// container finds them (./etc/cacerts, relative to its working directory, as `/` is in the pod),
// and restarted when the template changes (a rollout). Its pods turn Ready only once this
// istiod answers /ready: kwok's ready stage waits for the annotation set here (local-clusters.sh).
// As a kubelet pulls the image the template names, the binary is the one built for the image's
// tag (`pilot-discovery` for the toolchain's Istio, `pilot-discovery-<version>` for another); a tag
// with no binary is never started, so its pods never turn Ready, like an image that cannot be pulled.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { annotatePod, clients, informer } from "./kube.mjs";

export const SERVING_ANNOTATION = "local.mesh.test/istiod-serving";
const NAMESPACE = "istio-system";
const CACERTS_KEYS = ["ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"];
const DEPLOYMENT = /^istiod(-(?<rev>[a-z0-9]([-a-z0-9]*[a-z0-9])?))?$/;
/** istiod's monitoring port in its pod (the chart's containerPort; istioctl's default). */
const MONITORING_PORT = 15014;
// The kubelet's SIGKILL once a pod's grace period ends (terminationGracePeriodSeconds, default 30;
// the istiod chart sets none): pilot-discovery can hang in its shutdown, and would otherwise run on.
const GRACE_PERIOD_MS = 30_000;

/**
 * Host ports of an istiod of cluster I: 20000 + 10000·slot + 100·I + the last two digits of the
 * pod port. Slot 0 is the revision-less `istiod`; each revision takes the lowest free slot from 1,
 * as two revisions in one pod network have distinct pod IPs and so never share an address.
 */
export function istiodPorts(index, slot = 0) {
    const p = (n) => 20000 + 10000 * slot + 100 * index + n;
    return { http: p(80), grpc: p(10), secureGrpc: p(12), https: p(17), monitoring: p(14), ctrlz: p(76) };
}

/** The pilot-discovery for an image tag, or undefined when none was built for it. */
export function binaryFor(main, tag) {
    if (!main || !tag) return undefined;
    if (tag === versionOf(main)) return main;
    const other = path.join(path.dirname(main), `pilot-discovery-${tag}`);
    return fs.existsSync(other) ? other : undefined;
}

const versions = new Map();
function versionOf(binary) {
    if (!versions.has(binary)) {
        let v;
        try {
            // Prints "client version: <version>" (and log lines on stderr).
            v = /version:\s*(\S+)/.exec(execFileSync(binary, ["version", "-s"], { encoding: "utf8", timeout: 30000, stdio: ["ignore", "pipe", "ignore"] }))?.[1];
        } catch {
            v = undefined;
        }
        versions.set(binary, v);
    }
    return versions.get(binary);
}

/** Every istiod Deployment of one primary, one process each. */
export class HostIstiods {
    constructor(cluster, stateDir, binary, log) {
        this.cluster = cluster;
        this.stateDir = stateDir;
        this.binary = binary;
        this.log = log;
        this.c = clients(cluster.kubeconfig);
        /** Deployment name → HostIstiod. */
        this.byName = new Map();
        this.pods = new Map();
        this.forwarded = new Set(); // uids of pods with a PortForward
        this.cacerts = undefined;
    }

    start() {
        const ns = `/namespaces/${NAMESPACE}`;
        informer(this.c, `/apis/apps/v1${ns}/deployments`, () => this.c.apps.listNamespacedDeployment({ namespace: NAMESPACE }), {
            add: (d) => this.onDeployment(d),
            update: (d) => this.onDeployment(d),
            delete: (d) => this.onDelete(d),
        }, this.log);
        informer(this.c, `/api/v1${ns}/secrets`, () => this.c.core.listNamespacedSecret({ namespace: NAMESPACE }), {
            add: (s) => this.onSecret(s),
            update: (s) => this.onSecret(s),
        }, this.log);
        informer(this.c, `/api/v1${ns}/pods`, () => this.c.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app=istiod" }), {
            add: (p) => this.onPod(p),
            update: (p) => this.onPod(p),
            delete: (p) => (this.pods.delete(p.metadata.name), this.forwarded.delete(p.metadata.uid)),
        }, this.log, "app=istiod");
        this.timer = setInterval(() => this.probe(), 1000);
        return this;
    }

    onDeployment(d) {
        const m = DEPLOYMENT.exec(d.metadata.name);
        if (!m) return;
        let istiod = this.byName.get(d.metadata.name);
        if (!istiod) {
            const used = new Set([...this.byName.values()].map((i) => i.slot));
            const slot = m.groups.rev ? [1, 2, 3, 4].find((s) => !used.has(s)) : 0;
            istiod = new HostIstiod(this, d.metadata.name, m.groups.rev ?? "default", slot);
            this.byName.set(d.metadata.name, istiod);
            if (this.cacerts) istiod.onSecret(this.cacerts);
            this.writePorts();
        }
        istiod.onDeployment(d);
    }

    onDelete(d) {
        const istiod = this.byName.get(d.metadata.name);
        if (!istiod) return;
        istiod.stop("Deployment deleted");
        this.byName.delete(d.metadata.name);
        this.writePorts();
    }

    onSecret(s) {
        if (s.metadata.name !== "cacerts") return;
        this.cacerts = s;
        for (const i of this.byName.values()) i.onSecret(s);
    }

    onPod(p) {
        this.pods.set(p.metadata.name, p);
        const istiod = this.ofPod(p);
        return istiod && Promise.all([istiod.markServing(p), this.portForward(p, istiod)]);
    }

    /**
     * `kubectl port-forward` to the pod's monitoring port (istioctl reads /debug/* that way) lands
     * on its istiod's, from localhost as in the pod: kwok's PortForward for the pod, owned by it
     * (local-clusters.sh enables the kind). No other port of the pod is forwarded.
     */
    async portForward(p, istiod) {
        const uid = p.metadata.uid;
        if (this.forwarded.has(uid) || p.metadata.deletionTimestamp) return;
        this.forwarded.add(uid);
        const body = {
            apiVersion: "kwok.x-k8s.io/v1alpha1",
            kind: "PortForward",
            metadata: { name: p.metadata.name, namespace: NAMESPACE, ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: p.metadata.name, uid }] },
            spec: { forwards: [{ ports: [MONITORING_PORT], target: { address: "127.0.0.1", port: istiod.ports.monitoring } }] },
        };
        try {
            await this.c.custom.createNamespacedCustomObject({ group: "kwok.x-k8s.io", version: "v1alpha1", namespace: NAMESPACE, plural: "portforwards", body });
        } catch (e) {
            if (e.code !== 409) {
                this.forwarded.delete(uid);
                this.log(`PortForward for ${p.metadata.name}: ${e.message?.split("\n")[0] ?? e}`);
            }
        }
    }

    /** The istiod a pod belongs to, by the revision label the chart gives its pods. */
    ofPod(p) {
        const rev = p.metadata.labels?.["istio.io/rev"] ?? "default";
        return [...this.byName.values()].find((i) => i.revision === rev);
    }

    /** The revision whose Service is `name` (`istiod` or `istiod-<rev>`). */
    ofService(name) {
        return this.byName.get(name);
    }

    /** Where tests find each revision's debug endpoints. */
    writePorts() {
        const file = path.join(this.stateDir, "istiod", this.cluster.name, "ports.json");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const ports = Object.fromEntries([...this.byName.values()].map((i) => [i.revision, { deployment: i.name, ...i.ports }]));
        fs.writeFileSync(`${file}.tmp`, JSON.stringify(ports, null, 2));
        fs.renameSync(`${file}.tmp`, file);
    }

    async probe() {
        for (const i of this.byName.values()) await i.probe();
    }

    shutdown() {
        clearInterval(this.timer);
        for (const i of this.byName.values()) i.stop("shutdown");
    }
}

class HostIstiod {
    constructor(owner, name, revision, slot) {
        this.owner = owner;
        this.cluster = owner.cluster;
        this.name = name;
        this.revision = revision;
        this.slot = slot;
        // The revision-less istiod keeps the directory it always had.
        this.dir = path.join(owner.stateDir, "istiod", this.cluster.name, ...(name === "istiod" ? [] : [name]));
        this.log = (m) => owner.log(`${this.cluster.name} ${name}: ${m}`);
        this.ports = istiodPorts(this.cluster.index, slot);
        this.deployment = undefined;
        this.proc = undefined;
        this.hash = undefined;
        this.ready = false;
    }

    get pods() {
        return [...this.owner.pods.values()].filter((p) => this.owner.ofPod(p) === this);
    }

    onDeployment(d) {
        this.deployment = d;
        const container = d.spec.template.spec.containers.find((c) => c.name === "discovery") ?? d.spec.template.spec.containers[0];
        const hash = createHash("sha256").update(JSON.stringify([container.image, container.args, container.env])).digest("hex");
        if (hash === this.hash && this.proc) return;
        if (this.proc) this.stop("pod template changed");
        this.hash = hash;
        this.launch(container);
    }

    /** `cacerts` as the Secret volume would show it; istiod reloads plug-in certs on change. */
    onSecret(s) {
        const dir = path.join(this.dir, "etc", "cacerts");
        fs.mkdirSync(dir, { recursive: true });
        for (const key of CACERTS_KEYS) {
            const value = s.data?.[key];
            if (value) fs.writeFileSync(path.join(dir, `${key}.tmp`), Buffer.from(value, "base64"), { mode: 0o600 });
        }
        for (const key of CACERTS_KEYS) if (fs.existsSync(path.join(dir, `${key}.tmp`))) fs.renameSync(path.join(dir, `${key}.tmp`), path.join(dir, key));
    }

    async markServing(p) {
        if (this.ready && p.metadata.annotations?.[SERVING_ANNOTATION] !== "true" && !p.metadata.deletionTimestamp) {
            await annotatePod(this.owner.c, NAMESPACE, p.metadata.name, { [SERVING_ANNOTATION]: "true" });
        }
    }

    launch(container) {
        const tag = container.image?.split("/").pop()?.split(":")[1];
        const binary = binaryFor(this.owner.binary, tag);
        if (!binary) {
            this.log(`no pilot-discovery built for image ${container.image}: not started (bash scripts/toolchain.sh builds ISTIO_VERSION and ISTIO_PREV_VERSION)`);
            return;
        }
        fs.mkdirSync(this.dir, { recursive: true });
        const env = { PATH: process.env.PATH, HOME: this.dir };
        for (const e of container.env ?? []) {
            const v = e.value ?? fieldValue(e.valueFrom?.fieldRef?.fieldPath, this.cluster.name, this.name);
            // The pod's KUBECONFIG (external control planes) names a file only the pod has.
            if (v !== undefined && e.name !== "KUBECONFIG") env[e.name] = v;
        }
        const p = this.ports;
        const args = [
            ...(container.args ?? []),
            `--kubeconfig=${this.cluster.kubeconfig}`,
            `--httpAddr=127.0.0.1:${p.http}`,
            `--grpcAddr=127.0.0.1:${p.grpc}`,
            `--secureGRPCAddr=127.0.0.1:${p.secureGrpc}`,
            `--httpsAddr=127.0.0.1:${p.https}`,
            `--monitoringAddr=127.0.0.1:${p.monitoring}`,
            `--ctrlz_port=${p.ctrlz}`,
        ];
        const out = fs.openSync(path.join(this.dir, "log"), "a");
        this.log(`starting ${path.basename(binary)} for ${container.image} (${Object.keys(env).length} env vars, https ${p.https}, grpc ${p.secureGrpc})`);
        const proc = spawn(binary, args, { cwd: this.dir, env, stdio: ["ignore", out, out] });
        this.proc = proc;
        this.ready = false;
        proc.on("exit", (code, signal) => {
            if (this.proc !== proc) return;
            this.proc = undefined;
            this.ready = false;
            this.log(`exited (${code ?? signal}); restarting in 2 s`);
            setTimeout(() => this.deployment && !this.proc && this.launch(container), 2000);
        });
    }

    async probe() {
        if (!this.proc) return;
        const was = this.ready;
        this.ready = await fetch(`http://127.0.0.1:${this.ports.http}/ready`).then((r) => r.ok, () => false);
        if (this.ready && !was) this.log("ready");
        if (this.ready) for (const pod of this.pods) await this.markServing(pod).catch((e) => this.log(`annotate ${pod.metadata.name}: ${e.message}`));
    }

    stop(why) {
        const proc = this.proc;
        this.proc = undefined;
        this.ready = false;
        if (why === "Deployment deleted") this.deployment = undefined;
        if (proc) {
            this.log(`stopping (${why})`);
            proc.kill("SIGTERM");
            const kill = setTimeout(() => proc.kill("SIGKILL"), GRACE_PERIOD_MS);
            proc.once("exit", () => clearTimeout(kill));
        }
    }
}

function fieldValue(fieldPath, cluster, deployment) {
    switch (fieldPath) {
        case "metadata.name":
            return `${deployment}-${cluster}-local`;
        case "metadata.namespace":
            return NAMESPACE;
        case "spec.serviceAccountName":
            return deployment; // the chart's ServiceAccount is named like its Deployment
        default:
            return undefined; // status.podIP, resource limits: not meaningful outside a pod
    }
}
