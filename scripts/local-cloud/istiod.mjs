// The kubelet of a primary's istiod, locally. kwok pods run nothing, so the istiod Deployment
// the chart installs is run here instead: the real pilot-discovery, built from the pinned Istio
// module, with the pod template's args and env, its `cacerts` Secret mounted as files where the
// container finds them (./etc/cacerts, relative to its working directory, as `/` is in the pod),
// and restarted when the template changes (a rollout). Its pods turn Ready only once this
// istiod answers /ready: kwok's ready stage waits for the annotation set here (local-clusters.sh).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { annotatePod, clients, informer } from "./kube.mjs";

export const SERVING_ANNOTATION = "local.mesh.test/istiod-serving";
const NAMESPACE = "istio-system";
const CACERTS_KEYS = ["ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"];
/** istiod's monitoring port in its pod (the chart's containerPort; istioctl's default). */
const MONITORING_PORT = 15014;

/** Host ports of cluster I's istiod: 20000 + 100·I + the last two digits of the pod port. */
export function istiodPorts(index) {
    const p = (n) => 20000 + 100 * index + n;
    return { http: p(80), grpc: p(10), secureGrpc: p(12), https: p(17), monitoring: p(14), ctrlz: p(76) };
}

export class HostIstiod {
    constructor(cluster, stateDir, binary, log) {
        this.cluster = cluster;
        this.dir = path.join(stateDir, "istiod", cluster.name);
        this.binary = binary;
        this.log = (m) => log(`${cluster.name} istiod: ${m}`);
        this.c = clients(cluster.kubeconfig);
        this.ports = istiodPorts(cluster.index);
        this.deployment = undefined;
        this.pods = new Map();
        this.forwarded = new Set(); // uids of pods with a PortForward
        this.proc = undefined;
        this.hash = undefined;
        this.ready = false;
    }

    start() {
        const ns = `/namespaces/${NAMESPACE}`;
        informer(this.c, `/apis/apps/v1${ns}/deployments`, () => this.c.apps.listNamespacedDeployment({ namespace: NAMESPACE }), {
            add: (d) => this.onDeployment(d),
            update: (d) => this.onDeployment(d),
            delete: (d) => d.metadata.name === "istiod" && this.stop("Deployment deleted"),
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
        if (d.metadata.name !== "istiod") return;
        this.deployment = d;
        const container = d.spec.template.spec.containers.find((c) => c.name === "discovery") ?? d.spec.template.spec.containers[0];
        const hash = createHash("sha256").update(JSON.stringify([container.args, container.env])).digest("hex");
        if (hash === this.hash && this.proc) return;
        if (this.proc) this.stop("pod template changed");
        this.hash = hash;
        this.launch(container);
    }

    /** `cacerts` as the Secret volume would show it; istiod reloads plug-in certs on change. */
    onSecret(s) {
        if (s.metadata.name !== "cacerts") return;
        const dir = path.join(this.dir, "etc", "cacerts");
        fs.mkdirSync(dir, { recursive: true });
        for (const key of CACERTS_KEYS) {
            const value = s.data?.[key];
            if (value) fs.writeFileSync(path.join(dir, `${key}.tmp`), Buffer.from(value, "base64"), { mode: 0o600 });
        }
        for (const key of CACERTS_KEYS) if (fs.existsSync(path.join(dir, `${key}.tmp`))) fs.renameSync(path.join(dir, `${key}.tmp`), path.join(dir, key));
    }

    onPod(p) {
        this.pods.set(p.metadata.name, p);
        return Promise.all([this.markServing(p), this.portForward(p)]);
    }

    /**
     * `kubectl port-forward` to the pod's monitoring port (istioctl reads /debug/* that way) lands
     * on this istiod's, from localhost as in the pod: kwok's PortForward for the pod, owned by it
     * (local-clusters.sh enables the kind). No other port of the pod is forwarded.
     */
    async portForward(p) {
        const uid = p.metadata.uid;
        if (this.forwarded.has(uid) || p.metadata.deletionTimestamp) return;
        this.forwarded.add(uid);
        const body = {
            apiVersion: "kwok.x-k8s.io/v1alpha1",
            kind: "PortForward",
            metadata: { name: p.metadata.name, namespace: NAMESPACE, ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: p.metadata.name, uid }] },
            spec: { forwards: [{ ports: [MONITORING_PORT], target: { address: "127.0.0.1", port: this.ports.monitoring } }] },
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

    async markServing(p) {
        if (this.ready && p.metadata.annotations?.[SERVING_ANNOTATION] !== "true" && !p.metadata.deletionTimestamp) {
            await annotatePod(this.c, NAMESPACE, p.metadata.name, { [SERVING_ANNOTATION]: "true" });
        }
    }

    launch(container) {
        fs.mkdirSync(this.dir, { recursive: true });
        const env = { PATH: process.env.PATH, HOME: this.dir };
        for (const e of container.env ?? []) {
            const v = e.value ?? fieldValue(e.valueFrom?.fieldRef?.fieldPath, this.cluster.name);
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
        this.log(`starting pilot-discovery (${Object.keys(env).length} env vars, https ${p.https}, grpc ${p.secureGrpc})`);
        const proc = spawn(this.binary, args, { cwd: this.dir, env, stdio: ["ignore", out, out] });
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
        if (this.ready) for (const pod of this.pods.values()) await this.markServing(pod).catch((e) => this.log(`annotate ${pod.metadata.name}: ${e.message}`));
    }

    stop(why) {
        const proc = this.proc;
        this.proc = undefined;
        this.ready = false;
        if (why === "Deployment deleted") this.deployment = undefined;
        if (proc) {
            this.log(`stopping (${why})`);
            proc.kill("SIGTERM");
        }
    }

    shutdown() {
        clearInterval(this.timer);
        this.stop("shutdown");
    }
}

function fieldValue(fieldPath, cluster) {
    switch (fieldPath) {
        case "metadata.name":
            return `istiod-${cluster}-local`;
        case "metadata.namespace":
            return NAMESPACE;
        case "spec.serviceAccountName":
            return "istiod";
        default:
            return undefined; // status.podIP, resource limits: not meaningful outside a pod
    }
}
