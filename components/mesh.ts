/**
 * The whole mesh as one graph: clusters, PKI, Istio per cluster, east-west gateways and remote
 * secrets. Each step depends only on what it really needs, so nothing waits on an unrelated cluster.
 */
import * as pulumi from "@pulumi/pulumi";
import { MeshConfig } from "../stacks/config";
import { meshWideObjects } from "../stacks/policy";
import { ClusterPlan, MeshPlan, planMesh } from "../stacks/topology";
import { ClusterHandle, provisionClusters } from "./clusters";
import { IstioControlPlane } from "./istio/control-plane";
import { EastWestGateway } from "./istio/gateway";
import { MeshPolicy } from "./istio/policy";
import { remoteSecret } from "./istio/remote-secret";
import { ClusterAccess } from "./access";
import { MeshPki } from "./pki";
import { ClusterObservability, GlobalObservability, observeMesh } from "./observability";
import { withObservability } from "./observability/istio";

export interface MeshCluster {
    readonly plan: ClusterPlan;
    readonly handle: ClusterHandle;
    readonly controlPlane: IstioControlPlane;
    readonly gateway?: EastWestGateway;
    /** Primaries with mesh-wide objects (mesh:policy): the same objects on each. */
    readonly policy?: MeshPolicy;
}

export class Mesh extends pulumi.ComponentResource {
    readonly pki: MeshPki;
    readonly plan: MeshPlan;
    readonly clusters: ReadonlyMap<string, MeshCluster>;
    /** Per cluster with teams: their namespaces and scoped credentials. */
    readonly access: ReadonlyMap<string, ClusterAccess>;
    /** Metrics per cluster, the global Prometheus, Grafana, tracing and Kiali (components/observability). */
    readonly observability: { readonly clusters: ReadonlyMap<string, ClusterObservability>; readonly global?: GlobalObservability };

    constructor(name: string, readonly config: MeshConfig, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:index:Mesh", name, {}, opts);
        const o = { parent: this };
        const plan = (this.plan = planMesh(config));
        const mesh = { meshId: config.meshId, trustDomain: config.trustDomain, istio: withObservability(config.istio, config.observability), availability: config.availability, traffic: config.traffic };
        const readerTokenGeneration = config.remoteSecrets.tokenGeneration;
        this.pki = new MeshPki(`${name}-pki`, { meshId: config.meshId, pki: config.pki }, o);

        const handles = provisionClusters(name, plan, o);
        const clusters = new Map<string, MeshCluster>();
        const gateway = (p: ClusterPlan, cp: IstioControlPlane, after: pulumi.Resource[]) =>
            p.eastWestGateway
                ? new EastWestGateway(`${name}-${p.cluster.name}-eastwest`, { mesh, plan: p, cluster: handles.get(p.cluster.name)!, namespace: cp.namespace.metadata.name, after }, o)
                : undefined;

        // Mesh-wide objects: one list, the same on every primary, which is every config cluster
        // (a remote's proxies take their configuration from their primary's istiod).
        const meshWide = meshWideObjects(config.policy);
        const policy = (p: ClusterPlan, cp: IstioControlPlane, handle: ClusterHandle) =>
            meshWide.length > 0
                ? new MeshPolicy(`${name}-${p.cluster.name}-istio-policy`, { objects: meshWide, provider: handle.provider, namespace: cp.namespace.metadata.name, after: [cp.base, ...cp.istiods] }, { parent: cp })
                : undefined;

        // Primaries first: a remote's istiod needs its primary's load-balancer address and istiod.
        for (const p of plan.clusters.filter((c) => c.isPrimary)) {
            const handle = handles.get(p.cluster.name)!;
            const ca = this.pki.intermediate(p.cluster.name).bundle;
            const controlPlane = new IstioControlPlane(`${name}-${p.cluster.name}-istio`, { mesh, plan: p, cluster: handle, ca, readerTokenGeneration, multiRoot: this.pki.plan.multiRoot }, o);
            clusters.set(p.cluster.name, { plan: p, handle, controlPlane, gateway: gateway(p, controlPlane, controlPlane.istiods), policy: policy(p, controlPlane, handle) });
        }
        for (const p of plan.clusters.filter((c) => !c.isPrimary)) {
            const handle = handles.get(p.cluster.name)!;
            const served = clusters.get(p.controlPlane)!.controlPlane;
            const primary = { address: served.gatewayAddress!, trustBundlePem: this.pki.trustBundlePem, serving: [...served.istiods, ...served.istiodExposure] };
            const controlPlane = new IstioControlPlane(`${name}-${p.cluster.name}-istio`, { mesh, plan: p, cluster: handle, primary, readerTokenGeneration }, o);
            clusters.set(p.cluster.name, { plan: p, handle, controlPlane });
        }

        const secrets = new Map<string, pulumi.Resource>();
        for (const { watcher, watched } of plan.remoteSecrets) {
            const w = clusters.get(watcher)!;
            const target = clusters.get(watched)!;
            const secret = remoteSecret(
                `${name}-${watcher}-istio-remote-${watched}`,
                { namespace: w.controlPlane.namespace.metadata.name, provider: w.handle.provider, watched, apiServer: target.handle.apiServer, readerToken: target.controlPlane.readerToken },
                { parent: w.controlPlane },
            );
            secrets.set(`${watcher}/${watched}`, secret);
        }

        // A remote's gateway pods are injected by its primary's istiod, through the primary's gateway
        // (its pods and istiod exposure), once that istiod watches the remote.
        for (const [clusterName, c] of clusters) {
            if (c.plan.isPrimary) continue;
            const primary = clusters.get(c.plan.controlPlane)!;
            const g = gateway(c.plan, c.controlPlane, [
                ...c.controlPlane.istiods,
                secrets.get(`${c.plan.controlPlane}/${clusterName}`)!,
                primary.gateway!.release,
                ...primary.controlPlane.istiodExposure,
            ]);
            if (g) clusters.set(clusterName, { ...c, gateway: g });
        }
        this.clusters = clusters;
        // In mesh:clusters' order, which the global Prometheus's file follows.
        const inOrder = new Map(config.clusters.map((c) => [c.name, clusters.get(c.name)!]));
        this.observability = observeMesh(name, { meshId: config.meshId, config: config.observability, timeoutSeconds: config.istio.timeoutSeconds, clusters: inOrder }, o);

        // Teams need nothing of Istio: their namespaces only carry the injection label.
        this.access = new Map(
            config.clusters.flatMap((c) => {
                const teams = config.access.teams.filter((t) => t.clusters.includes(c.name));
                return teams.length > 0 ? [[c.name, new ClusterAccess(`${name}-${c.name}-access`, { cluster: handles.get(c.name)!, teams }, o)] as const] : [];
            }),
        );
        this.registerOutputs({});
    }
}
