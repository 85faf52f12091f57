// Small helpers over @kubernetes/client-node: one client set per local cluster, informers that
// survive a missing API (Istio's CRDs appear only after `base`), and merge patches.
import * as k8s from "@kubernetes/client-node";

export function clients(kubeconfigPath) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    return {
        kc,
        core: kc.makeApiClient(k8s.CoreV1Api),
        apps: kc.makeApiClient(k8s.AppsV1Api),
        custom: kc.makeApiClient(k8s.CustomObjectsApi),
    };
}

const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

export function patchServiceStatus(c, namespace, name, status) {
    return c.core.patchNamespacedServiceStatus({ namespace, name, body: { status } }, mergePatch);
}

export function annotatePod(c, namespace, name, annotations) {
    return c.core.patchNamespacedPod({ namespace, name, body: { metadata: { annotations } } }, mergePatch);
}

/** Lists Istio custom objects of one kind in every namespace; empty while the CRD does not exist. */
export async function istioObjects(c, plural) {
    try {
        const list = await c.custom.listClusterCustomObject({ group: "networking.istio.io", version: "v1", plural });
        return list.items ?? [];
    } catch {
        return [];
    }
}

/**
 * An informer that keeps restarting: watches drop, API servers restart, and a watch on a
 * namespace that does not exist yet still works but a list of an absent API does not.
 */
export function informer(c, path, list, handlers, log, labelSelector) {
    const inf = k8s.makeInformer(c.kc, path, list, labelSelector);
    for (const [event, fn] of Object.entries(handlers)) inf.on(event, (obj) => Promise.resolve(fn(obj)).catch((e) => log(`${path} ${event}: ${e.message ?? e}`)));
    inf.on("error", () => setTimeout(() => inf.start().catch(() => {}), 2000));
    inf.start().catch(() => setTimeout(() => inf.start().catch(() => {}), 2000));
    return inf;
}

export const isReady = (pod) => pod.status?.phase === "Running" && (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

export function selects(selector, labels) {
    return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}
