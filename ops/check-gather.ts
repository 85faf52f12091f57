/**
 * What mesh-check reads from the clusters, with the operator's admin credentials, from outside:
 * the API servers, `cacerts`, istiod's /debug/clusterz through a port-forward, the remote
 * secrets (and what their tokens can do, by logging in with them) and the east-west gateways.
 * No judgement here: check-model.ts decides.
 */
import * as http from "http";
import * as https from "https";
import * as net from "net";
import { PassThrough } from "stream";
import * as k8s from "@kubernetes/client-node";
import { ClusterPlan } from "../stacks/topology";
import { ClusterFacts, FORBIDDEN_WRITES, IstiodPodFacts, LoginProbe, RemoteSecretFacts, Result, parseRemoteKubeconfig } from "./check-model";

const NS = "istio-system";
/** istiod's monitoring port, unless its pod says otherwise (istioctl: pkg/kube/client.go FindIstiodMonitoringPort). */
const MONITORING_PORT = 15014;

export interface GatherOptions {
    readonly timeoutMs: number;
}

export async function gatherCluster(plan: ClusterPlan, kubeconfig: k8s.KubeConfig, opts: GatherOptions): Promise<ClusterFacts> {
    const name = plan.cluster.name;
    const t = <T>(p: Promise<T>) => withTimeout(p, opts.timeoutMs);
    const api = await attempt(async () => {
        const v = JSON.parse(await t(rawGet(kubeconfig, "/version", opts.timeoutMs)));
        return { server: kubeconfig.getCurrentCluster()?.server ?? "?", version: String(v.gitVersion ?? "?") };
    });
    if (!api.ok) return { name, api };
    const core = kubeconfig.makeApiClient(k8s.CoreV1Api);
    const [cacerts, istiod, remoteSecrets, gateway] = await Promise.all([
        plan.isPrimary ? attempt(() => t(readSecretData(core, "cacerts"))) : undefined,
        plan.isPrimary ? attempt(() => t(istiodPods(core, kubeconfig, opts))) : undefined,
        attempt(() => t(remoteSecretsOf(core, opts))),
        plan.eastWestGateway ? attempt(() => t(gatewayAddresses(core))) : undefined,
    ]);
    return { name, api, cacerts, istiod, remoteSecrets, gateway };
}

async function readSecretData(core: k8s.CoreV1Api, name: string): Promise<Record<string, string> | undefined> {
    try {
        return decode((await core.readNamespacedSecret({ namespace: NS, name })).data);
    } catch (e) {
        if (httpStatus(e) === 404) return undefined;
        throw e;
    }
}

async function istiodPods(core: k8s.CoreV1Api, kc: k8s.KubeConfig, opts: GatherOptions): Promise<IstiodPodFacts[]> {
    // As `istioctl remote-clusters` (pkg/kube/client.go AllDiscoveryDo): every Running istiod pod.
    const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: "app=istiod", fieldSelector: "status.phase=Running" })).items;
    return Promise.all(
        pods.map(async (pod): Promise<IstiodPodFacts> => {
            const name = pod.metadata!.name!;
            const ready = (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
            const port = Number(pod.metadata?.annotations?.["prometheus.io/port"] ?? MONITORING_PORT) || MONITORING_PORT;
            // Through a port-forward, as istioctl does: istiod serves /debug/* only to localhost or an
            // authenticated istio-system identity (pilot/pkg/xds/debug.go allowAuthenticatedOrLocalhost),
            // so the API server's pod proxy, which comes from the API server and strips the caller's
            // token, gets 401; a port-forward arrives on the pod's localhost.
            const clusterz = await attempt(() => podGet(kc, NS, name, port, "/debug/clusterz", opts.timeoutMs));
            return { name, ready, clusterz };
        }),
    );
}

/** GET http://localhost:<port><path> in a pod, through the API server's port-forward (pods/portforward). */
export async function podGet(kc: k8s.KubeConfig, namespace: string, pod: string, port: number, path: string, timeoutMs: number): Promise<string> {
    const forward = new k8s.PortForward(kc);
    let streamErrors = "";
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
        sockets.add(socket);
        const errors = new PassThrough();
        // The kubelet's error channel (no such port, nothing listening): the request ends here.
        errors.on("data", (d) => {
            streamErrors += d;
            socket.destroy();
        });
        forward.portForward(namespace, pod, [port], socket, errors, socket).then(
            (ws) => socket.on("close", () => (ws as { close?: () => void }).close?.()),
            (e) => {
                streamErrors += describeError(e).error;
                socket.destroy();
            },
        );
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", () => resolve()));
    const local = (server.address() as net.AddressInfo).port;
    try {
        return await withTimeout(
            new Promise<string>((resolve, reject) => {
                const req = http.get({ host: "127.0.0.1", port: local, path, agent: false, headers: { connection: "close" } }, (res) => {
                    let body = "";
                    res.setEncoding("utf8");
                    res.on("data", (d) => (body += d));
                    res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body.replace(/\s+/g, " ").trim().slice(0, 200)}`), { code: res.statusCode }))));
                    res.on("error", reject);
                });
                req.on("error", (e) => reject(new Error(`port-forward to ${pod}:${port} failed: ${streamErrors.trim() || e.message}`)));
            }),
            timeoutMs,
        );
    } finally {
        for (const s of sockets) s.destroy();
        server.close();
    }
}

async function remoteSecretsOf(core: k8s.CoreV1Api, opts: GatherOptions): Promise<RemoteSecretFacts[]> {
    const secrets = (await core.listNamespacedSecret({ namespace: NS, labelSelector: "istio/multiCluster=true" })).items;
    return Promise.all(
        secrets.map(async (s): Promise<RemoteSecretFacts> => {
            const data = decode(s.data) ?? {};
            const probes: Record<string, LoginProbe> = {};
            for (const [key, text] of Object.entries(data)) {
                const parsed = parseRemoteKubeconfig(text);
                // Only a kubeconfig istiod would accept is used: nothing from it is executed or read from disk.
                if (parsed.problems.length === 0) probes[key] = await login(text, opts);
            }
            return { name: s.metadata!.name!, labels: s.metadata?.labels ?? {}, annotations: s.metadata?.annotations ?? {}, data, probes };
        }),
    );
}

/** As istiod would: list Services with the token, then ask the API server what else it may do. */
async function login(kubeconfigText: string, opts: GatherOptions): Promise<LoginProbe> {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfigText);
    const t = <T>(p: Promise<T>) => withTimeout(p, opts.timeoutMs);
    const list = await attempt(async () => (await t(kc.makeApiClient(k8s.CoreV1Api).listServiceForAllNamespaces())).items.length);
    if (!list.ok) return { list };
    const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
    const writes = await attempt(async () => {
        const out: Record<string, boolean> = {};
        for (const [verb, what] of FORBIDDEN_WRITES) {
            const [resource, ...group] = what.split(".");
            const review = await t(
                authz.createSelfSubjectAccessReview({
                    body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { verb, resource, group: group.join(".") } } },
                }),
            );
            out[`${verb} ${what}`] = review.status?.allowed === true;
        }
        return out;
    });
    return { list, writes };
}

async function gatewayAddresses(core: k8s.CoreV1Api): Promise<string[] | undefined> {
    try {
        const svc = await core.readNamespacedService({ namespace: NS, name: "istio-eastwestgateway" });
        return (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => [i.ip, i.hostname].filter((x): x is string => !!x));
    } catch (e) {
        if (httpStatus(e) === 404) return undefined;
        throw e;
    }
}

function decode(data: Record<string, string> | undefined): Record<string, string> | undefined {
    if (!data) return undefined;
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

/** A GET on the API server with the kubeconfig's credentials (token, client certificate or exec plugin), body as text. */
export async function rawGet(kc: k8s.KubeConfig, path: string, timeoutMs: number): Promise<string> {
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error("the kubeconfig's current context names no server");
    const url = new URL(server.replace(/\/$/, "") + path);
    const options: https.RequestOptions = { method: "GET", timeout: timeoutMs };
    await kc.applyToHTTPSOptions(options);
    return new Promise((resolve, reject) => {
        const req = (url.protocol === "http:" ? http : https).request(url, options, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d) => (body += d));
            res.on("end", () => {
                if (res.statusCode === 200) resolve(body);
                else reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${statusMessage(body)}`), { code: res.statusCode }));
            });
        });
        req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: "ETIMEDOUT" })));
        req.on("error", reject);
        req.end();
    });
}

function statusMessage(body: string): string {
    try {
        return JSON.parse(body).message ?? body.trim().slice(0, 200);
    } catch {
        return body.trim().slice(0, 200);
    }
}

function httpStatus(e: unknown): number | undefined {
    const code = (e as { code?: unknown })?.code;
    return typeof code === "number" ? code : undefined;
}

/** Runs `f`; an error becomes a failed Result with a one-line message. */
export async function attempt<T>(f: () => Promise<T>): Promise<Result<T>> {
    try {
        return { ok: true, value: await f() };
    } catch (e) {
        return { ok: false, ...describeError(e) };
    }
}

/** One line per error; `unreachable` for network errors (no HTTP answer at all). */
export function describeError(e: unknown): { error: string; unreachable?: boolean } {
    const err = e as { code?: unknown; body?: unknown; message?: string; cause?: { code?: string; message?: string } };
    const status = httpStatus(e);
    if (status !== undefined) {
        let message = "";
        if (typeof err.body === "string") message = statusMessage(err.body);
        else if (err.body && typeof err.body === "object") message = String((err.body as { message?: string }).message ?? "");
        // @kubernetes/client-node's ApiException: "HTTP-Code: 401\nMessage: Unauthorized\nBody: undefined\nHeaders: …".
        else message = /\nMessage: ([^\n]*)/.exec(err.message ?? "")?.[1] ?? (err.message ?? "").replace(/^HTTP \d+: /, "");
        return { error: `HTTP ${status}${message ? `: ${message.split("\n")[0]}` : ""}` };
    }
    const code = typeof err.code === "string" ? err.code : err.cause?.code;
    const message = (err.message ?? String(e)).split("\n")[0];
    // Only the network failing counts as unreachable; a TLS error (a wrong CA in a remote secret) is istiod's error too.
    const unreachable = (code !== undefined && NETWORK_ERRORS.includes(code)) || /timed out|no answer/.test(message);
    return { error: code && !message.includes(code) ? `${code}: ${message}` : message, ...(unreachable ? { unreachable } : {}) };
}

const NETWORK_ERRORS = ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"];

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`timed out after ${ms / 1000} s`), { code: "ETIMEDOUT" })), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
