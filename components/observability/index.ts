/**
 * Observability across clusters: a Prometheus per cluster scraping Istio, one global Prometheus
 * that federates them all, Grafana with Istio's dashboards, tracing through Istio's Telemetry API,
 * and Kiali across clusters. Access logs and the tracing provider are istiod values
 * (values.ts istiodObservabilityValues, merged in by components/mesh.ts).
 *
 * How the global Prometheus reaches each cluster's: through a LoadBalancer Service per cluster,
 * `istio-system/prometheus-federation`, which admits only the global cluster's egress addresses
 * (and `global.sourceRanges`); the global cluster's own Prometheus by its in-cluster Service. Each
 * target is an Output that resolves only once that cluster's Prometheus release and its load
 * balancer's address exist, and the global configuration is made from those Outputs: the graph,
 * not a wait, orders them.
 */
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ObservabilityConfig } from "../../stacks/observability";
import { tokenKubeconfig } from "../clusters/kubeconfig";
import { ClusterHandle } from "../clusters/handle";
import { loadBalancerAddress } from "../istio/gateway";
import { ISTIO_NAMESPACE } from "../istio/names";
import type { MeshCluster } from "../mesh";
import { clusterPrometheusConfig, FederationTarget, globalPrometheusConfig, PROMETHEUS_PORT, REMOTE_WRITE_TOKEN_KEY } from "./prometheus-config";
import { observabilityRelease } from "./release";
import {
    configMapName,
    dashboardConfigMap,
    DASHBOARD_CONFIG_MAPS,
    FEDERATION_SERVICE,
    grafanaChartValues,
    kialiChartValues,
    kialiRemoteChartValues,
    prometheusChartValues,
    prometheusServerSelector,
    prometheusServiceHost,
    RELEASES,
    REMOTE_WRITE_SECRET,
    TELEMETRY_NAME,
    telemetrySpec,
} from "./values";

/** Kiali's ServiceAccount in the clusters it reads from afar (the kiali-server chart's, remote resources only). */
export const KIALI_SERVICE_ACCOUNT = "kiali-service-account";
export const KIALI_REMOTE_LABEL = "kiali.io/multiCluster";
export const KIALI_CLUSTER_ANNOTATION = "kiali.io/cluster";
export const kialiRemoteSecretName = (cluster: string): string => `kiali-remote-cluster-secret-${cluster}`;

/** One cluster's part: the mesh-wide Telemetry (primaries), its Prometheus, how the global one reaches it, Kiali's access. */
export class ClusterObservability extends pulumi.ComponentResource {
    readonly prometheus?: k8s.helm.v3.Release;
    /**
     * How the global Prometheus reaches this cluster's (host:port), in federation only. Resolves
     * only once this Prometheus is installed and, from another cluster, its load balancer has an address.
     */
    readonly target?: pulumi.Output<FederationTarget>;
    readonly telemetry?: k8s.apiextensions.CustomResource;
    /** Kiali's ServiceAccount token here, for a cluster Kiali reads from the global one. */
    readonly kialiToken?: k8s.core.v1.Secret;

    constructor(name: string, args: { meshId: string; config: ObservabilityConfig; timeoutSeconds: number; cluster: MeshCluster; global?: MeshCluster }, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:observability:ClusterObservability", name, {}, opts);
        const { config: o, cluster: c, meshId } = args;
        const clusterName = c.plan.cluster.name;
        const k = { parent: this, provider: c.handle.provider };
        const namespace = c.controlPlane.namespace.metadata.name;
        const remoteWrite = o.global.enabled ? o.global.remoteWrite : undefined;

        // Istio's Telemetry API is config: every config cluster (primary) holds the same resource.
        const spec = telemetrySpec(o);
        if (spec && c.plan.isPrimary) {
            this.telemetry = new k8s.apiextensions.CustomResource(
                `${name}-telemetry`,
                { apiVersion: "telemetry.istio.io/v1", kind: "Telemetry", metadata: { name: TELEMETRY_NAME, namespace }, spec },
                // Its CRD comes from base, and istiod validates it (and so must outlive it on destroy):
                // every revision's istiod, as for mesh:policy's objects (components/mesh.ts).
                { ...k, dependsOn: [c.controlPlane.base, ...c.controlPlane.istiods] },
            );
        }

        if (o.kiali.enabled && args.global && clusterName !== o.global.cluster) {
            const resources = observabilityRelease(
                `${name}-kiali-remote`,
                { chart: o.kiali.chart, releaseName: RELEASES.kiali, namespace, values: kialiRemoteChartValues(o.kiali.chart), timeoutSeconds: args.timeoutSeconds },
                k,
            );
            this.kialiToken = new k8s.core.v1.Secret(
                `${name}-kiali-token`,
                { metadata: { name: `${KIALI_SERVICE_ACCOUNT}-token`, namespace, annotations: { "kubernetes.io/service-account.name": KIALI_SERVICE_ACCOUNT } }, type: "kubernetes.io/service-account-token" },
                { ...k, dependsOn: [resources] },
            );
        }

        if (!o.metrics.enabled) {
            this.registerOutputs({});
            return;
        }
        const token = remoteWrite?.bearerToken;
        const tokenSecret = token
            ? new k8s.core.v1.Secret(`${name}-remote-write-token`, { metadata: { name: REMOTE_WRITE_SECRET, namespace }, type: "Opaque", stringData: { [REMOTE_WRITE_TOKEN_KEY]: pulumi.secret(token) } }, k)
            : undefined;
        const network = c.plan.cluster.network;
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-prometheus-config`,
            {
                metadata: { name: configMapName(RELEASES.prometheus), namespace },
                data: {
                    "prometheus.yml": clusterPrometheusConfig({
                        meshId,
                        cluster: clusterName,
                        network,
                        scrapeInterval: o.metrics.scrapeInterval,
                        remoteWrite: remoteWrite ? { url: remoteWrite.url, bearerToken: token !== undefined } : undefined,
                    }),
                },
            },
            k,
        );
        const prometheus = (this.prometheus = observabilityRelease(
            `${name}-prometheus`,
            {
                chart: o.metrics.chart,
                releaseName: RELEASES.prometheus,
                namespace,
                values: prometheusChartValues(o.metrics.chart, { release: RELEASES.prometheus, retention: o.metrics.retention, kubernetesDiscovery: true, remoteWriteSecret: tokenSecret ? REMOTE_WRITE_SECRET : undefined }),
                timeoutSeconds: args.timeoutSeconds,
            },
            { ...k, dependsOn: [configMap, ...(tokenSecret ? [tokenSecret] : [])] },
        ));

        if (o.global.federate && args.global) {
            if (clusterName === o.global.cluster) {
                const host = prometheusServiceHost(RELEASES.prometheus, ISTIO_NAMESPACE);
                this.target = prometheus.status.apply(() => ({ cluster: clusterName, network, address: host }));
            } else {
                this.target = federationTarget(`${name}-prometheus-federation`, clusterName, network, c.handle, args.global.handle, o, namespace, prometheus, k);
            }
        }
        this.registerOutputs({});
    }
}

/** The mesh-wide part, in the global cluster: the global Prometheus, Grafana and Kiali. */
export class GlobalObservability extends pulumi.ComponentResource {
    /** The global Prometheus's configuration file (YAML). */
    readonly config?: pulumi.Output<string>;
    readonly configMap?: k8s.core.v1.ConfigMap;
    readonly prometheus?: k8s.helm.v3.Release;
    readonly grafana?: k8s.helm.v3.Release;
    readonly kiali?: k8s.helm.v3.Release;

    constructor(
        name: string,
        args: { meshId: string; config: ObservabilityConfig; timeoutSeconds: number; cluster: MeshCluster; clusters: ReadonlyMap<string, { cluster: MeshCluster; part: ClusterObservability }> },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("mesh:observability:GlobalObservability", name, {}, opts);
        const { config: o, cluster: g, meshId } = args;
        const k = { parent: this, provider: g.handle.provider };
        const namespace = g.controlPlane.namespace.metadata.name;
        const release = (n: string, a: Omit<Parameters<typeof observabilityRelease>[1], "namespace" | "timeoutSeconds">, dependsOn: pulumi.Resource[]) =>
            observabilityRelease(n, { ...a, namespace, timeoutSeconds: args.timeoutSeconds }, { ...k, dependsOn });

        if (o.global.federate && o.metrics.enabled) {
            // Built from every cluster's target: the file cannot exist before they do. Listed in mesh:clusters' order.
            const targets = [...args.clusters.values()].flatMap(({ part }) => (part.target ? [part.target] : []));
            this.config = pulumi.all(targets).apply((t) => globalPrometheusConfig({ meshId, scrapeInterval: o.metrics.scrapeInterval, match: o.global.match, targets: t }));
            this.configMap = new k8s.core.v1.ConfigMap(`${name}-prometheus-config`, { metadata: { name: configMapName(RELEASES.globalPrometheus), namespace }, data: { "prometheus.yml": this.config } }, k);
            this.prometheus = release(
                `${name}-prometheus`,
                {
                    chart: o.metrics.chart,
                    releaseName: RELEASES.globalPrometheus,
                    values: prometheusChartValues(o.metrics.chart, { release: RELEASES.globalPrometheus, retention: o.global.retention, kubernetesDiscovery: false }),
                },
                [this.configMap],
            );
        }

        if (o.grafana.enabled) {
            const dashboards = readDashboards(o.grafana.dashboardsDirectory);
            const maps = Object.keys(DASHBOARD_CONFIG_MAPS).map(
                (mapName) =>
                    new k8s.core.v1.ConfigMap(`${name}-${mapName}`, { metadata: { name: mapName, namespace }, data: Object.fromEntries(dashboards.filter((d) => dashboardConfigMap(d.file) === mapName).map((d) => [d.file, d.json])) }, k),
            );
            const prometheusUrl = o.grafana.prometheusUrl ?? `http://${prometheusServiceHost(RELEASES.globalPrometheus, ISTIO_NAMESPACE)}`;
            this.grafana = release(`${name}-grafana`, { chart: o.grafana.chart, releaseName: RELEASES.grafana, values: grafanaChartValues(o.grafana.chart, { prometheusUrl, scrapeInterval: o.metrics.scrapeInterval }) }, maps);
        }

        if (o.kiali.enabled && this.prometheus) {
            const secrets = [...args.clusters.values()].flatMap(({ cluster, part }) => (part.kialiToken ? [kialiRemoteSecret(`${name}-kiali-remote-${cluster.plan.cluster.name}`, cluster, part.kialiToken, namespace, k)] : []));
            this.kiali = release(
                `${name}-kiali`,
                {
                    chart: o.kiali.chart,
                    releaseName: RELEASES.kiali,
                    values: kialiChartValues(o.kiali.chart, {
                        clusterName: o.global.cluster,
                        prometheusHost: prometheusServiceHost(RELEASES.globalPrometheus, ISTIO_NAMESPACE),
                        grafanaUrl: this.grafana ? `http://${RELEASES.grafana}.${ISTIO_NAMESPACE}.svc.cluster.local:3000` : undefined,
                    }),
                },
                [this.prometheus, ...secrets],
            );
        }
        this.registerOutputs({});
    }
}

/** Every cluster's part, then the global one: `mesh-<cluster>-observability` and `mesh-<global cluster>-observability-global`. */
export function observeMesh(
    name: string,
    args: { meshId: string; config: ObservabilityConfig; timeoutSeconds: number; clusters: ReadonlyMap<string, MeshCluster> },
    opts: pulumi.ComponentResourceOptions,
): { clusters: ReadonlyMap<string, ClusterObservability>; global?: GlobalObservability } {
    const global = args.clusters.get(args.config.global.cluster);
    const parts = new Map<string, { cluster: MeshCluster; part: ClusterObservability }>();
    const o = args.config;
    for (const [clusterName, cluster] of args.clusters) {
        // A component only where it has something to hold.
        const kialiReads = o.kiali.enabled && global !== undefined && clusterName !== o.global.cluster;
        if (!o.metrics.enabled && !(o.tracing.enabled && cluster.plan.isPrimary) && !kialiReads) continue;
        parts.set(clusterName, { cluster, part: new ClusterObservability(`${name}-${clusterName}-observability`, { ...args, cluster, global }, opts) });
    }
    const wanted = (o.global.federate && o.metrics.enabled) || o.grafana.enabled || o.kiali.enabled;
    return {
        clusters: new Map([...parts].map(([n, p]) => [n, p.part])),
        global: global && wanted ? new GlobalObservability(`${name}-${o.global.cluster}-observability-global`, { ...args, cluster: global, clusters: parts }, opts) : undefined,
    };
}

/**
 * A cluster's Prometheus as the global one reaches it: a LoadBalancer Service in front of the
 * Prometheus server that admits only the global cluster's egress. The target resolves once both
 * the release and the load balancer's address exist.
 */
function federationTarget(
    name: string,
    cluster: string,
    network: string,
    handle: ClusterHandle,
    global: ClusterHandle,
    o: ObservabilityConfig,
    namespace: pulumi.Input<string>,
    prometheus: k8s.helm.v3.Release,
    opts: pulumi.CustomResourceOptions,
): pulumi.Output<FederationTarget> {
    const service = new k8s.core.v1.Service(
        name,
        {
            metadata: { name: FEDERATION_SERVICE, namespace, annotations: { ...handle.gatewayServiceAnnotations } },
            spec: {
                type: "LoadBalancer",
                selector: prometheusServerSelector(RELEASES.prometheus),
                ports: [{ name: "http-prometheus", port: PROMETHEUS_PORT, targetPort: PROMETHEUS_PORT, protocol: "TCP" }],
                loadBalancerSourceRanges: global.egressCidrs.apply((egress) => [...new Set([...egress, ...o.global.sourceRanges])].sort()),
            },
        },
        opts,
    );
    return pulumi.all([service.status, prometheus.status]).apply(([status]) => {
        const address = loadBalancerAddress(status);
        if (!address) pulumi.log.error(`the load balancer of ${cluster}/${FEDERATION_SERVICE} has no address (status.loadBalancer.ingress is empty): the global Prometheus cannot federate this cluster`, service);
        return { cluster, network, address: `${address ?? "unknown"}:${PROMETHEUS_PORT}` };
    });
}

/**
 * Kiali's way into another cluster (Kiali's multi-cluster install,
 * hack/istio/multicluster/kiali-prepare-remote-cluster.sh): there the kiali-server chart with
 * remote resources only (ServiceAccount and read RBAC) and a token Secret for that account
 * (ClusterObservability); here, in Kiali's namespace, `kiali-remote-cluster-secret-<cluster>`
 * labelled `kiali.io/multiCluster`, whose key `<cluster>` holds a kubeconfig with that token.
 */
function kialiRemoteSecret(name: string, c: MeshCluster, token: k8s.core.v1.Secret, namespace: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret {
    const cluster = c.plan.cluster.name;
    const kubeconfig = pulumi.all([c.handle.apiServer, token.data]).apply(([server, data]) => {
        const { token: t = "", "ca.crt": caData = "" } = data ?? {};
        return tokenKubeconfig({ name: cluster, server, caData, token: Buffer.from(t, "base64").toString("utf8") });
    });
    return new k8s.core.v1.Secret(
        name,
        {
            metadata: { name: kialiRemoteSecretName(cluster), namespace, labels: { [KIALI_REMOTE_LABEL]: "true" }, annotations: { [KIALI_CLUSTER_ANNOTATION]: cluster } },
            type: "Opaque",
            data: { [cluster]: pulumi.secret(kubeconfig.apply((x) => Buffer.from(x).toString("base64"))) },
        },
        opts,
    );
}

/** Dashboard JSON files of a directory, compacted (manifests/addons/gen.sh does the same with jq -c). */
export function readDashboards(dir: string): { file: string; json: string }[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((file) => ({ file, json: JSON.stringify(JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"))) }));
}
