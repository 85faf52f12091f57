/**
 * Prometheus configuration files as YAML text, from plain data: each cluster's (Istio's scrape
 * jobs, `cluster`/`network`/`mesh` external labels, remote-write to an existing Prometheus) and the
 * global one's (one federation job per cluster). Pure, so tests run `promtool check config` on
 * exactly what the program mounts, and start a real Prometheus on the global file.
 */
import * as YAML from "yaml";

/** Where each Prometheus reads its configuration (the prometheus chart's `server.configPath`). */
export const CONFIG_FILE = "/etc/config/prometheus.yml";
/** Where the remote-write bearer token is mounted from its Secret (chart `server.extraSecretMounts`). */
export const REMOTE_WRITE_TOKEN_DIR = "/etc/secrets/remote-write";
export const REMOTE_WRITE_TOKEN_KEY = "token";
/** Every Prometheus this program runs listens here (the port Istio's docs and addons use). */
export const PROMETHEUS_PORT = 9090;

type Job = Record<string, unknown>;

/**
 * The pod-annotation relabelling of Istio's samples/addons/prometheus.yaml (rendered from the
 * prometheus-community chart by manifests/addons/gen.sh). Istio's injector annotates every
 * injected pod, istiod and the gateways with `prometheus.io/scrape`, `port` 15020 (merged
 * application and Envoy metrics) and `path` /stats/prometheus (pilot/pkg/kube/inject), so these
 * jobs find istiod, gateways and sidecars alike. test/observability.test.ts compares them with the
 * pinned Istio module's file.
 */
function podJob(name: string, slow: boolean): Job {
    return {
        job_name: name,
        honor_labels: true,
        kubernetes_sd_configs: [{ role: "pod" }],
        relabel_configs: [
            { action: "keep", regex: "true", source_labels: [slow ? "__meta_kubernetes_pod_annotation_prometheus_io_scrape_slow" : "__meta_kubernetes_pod_annotation_prometheus_io_scrape"] },
            ...(slow ? [] : [{ action: "drop", regex: "true", source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape_slow"] }]),
            { action: "replace", regex: "(https?)", source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scheme"], target_label: "__scheme__" },
            { action: "replace", regex: "(.+)", source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"], target_label: "__metrics_path__" },
            {
                action: "replace",
                regex: "(\\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})",
                replacement: "[$2]:$1",
                source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_port", "__meta_kubernetes_pod_ip"],
                target_label: "__address__",
            },
            {
                action: "replace",
                regex: "(\\d+);((([0-9]+?)(\\.|$)){4})",
                replacement: "$2:$1",
                source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_port", "__meta_kubernetes_pod_ip"],
                target_label: "__address__",
            },
            { action: "labelmap", regex: "__meta_kubernetes_pod_annotation_prometheus_io_param_(.+)", replacement: "__param_$1" },
            { action: "labelmap", regex: "__meta_kubernetes_pod_label_(.+)" },
            { action: "replace", source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
            { action: "replace", source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
            { action: "drop", regex: "Pending|Succeeded|Failed|Completed", source_labels: ["__meta_kubernetes_pod_phase"] },
            { action: "replace", source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
        ],
        ...(slow ? { scrape_interval: "5m", scrape_timeout: "30s" } : {}),
    };
}

/** The same file's Service-annotation jobs (`prometheus.io/scrape` on a Service). */
function serviceEndpointsJob(name: string, slow: boolean): Job {
    return {
        job_name: name,
        honor_labels: true,
        kubernetes_sd_configs: [{ role: "endpoints" }],
        relabel_configs: [
            { action: "keep", regex: "true", source_labels: [slow ? "__meta_kubernetes_service_annotation_prometheus_io_scrape_slow" : "__meta_kubernetes_service_annotation_prometheus_io_scrape"] },
            ...(slow ? [] : [{ action: "drop", regex: "true", source_labels: ["__meta_kubernetes_service_annotation_prometheus_io_scrape_slow"] }]),
            { action: "replace", regex: "(https?)", source_labels: ["__meta_kubernetes_service_annotation_prometheus_io_scheme"], target_label: "__scheme__" },
            { action: "replace", regex: "(.+)", source_labels: ["__meta_kubernetes_service_annotation_prometheus_io_path"], target_label: "__metrics_path__" },
            { action: "replace", regex: "(.+?)(?::\\d+)?;(\\d+)", replacement: "$1:$2", source_labels: ["__address__", "__meta_kubernetes_service_annotation_prometheus_io_port"], target_label: "__address__" },
            { action: "labelmap", regex: "__meta_kubernetes_service_annotation_prometheus_io_param_(.+)", replacement: "__param_$1" },
            { action: "labelmap", regex: "__meta_kubernetes_service_label_(.+)" },
            { action: "replace", source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
            { action: "replace", source_labels: ["__meta_kubernetes_service_name"], target_label: "service" },
            { action: "replace", source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
        ],
        ...(slow ? { scrape_interval: "5m", scrape_timeout: "30s" } : {}),
    };
}

/**
 * Istio's scrape jobs: those of samples/addons/prometheus.yaml that concern the mesh. Left out:
 * the API server, node and cAdvisor jobs (cluster monitoring, not Istio's, and they need RBAC on
 * nodes/proxy), the blackbox `kubernetes-services` probe and the pushgateway (neither is deployed).
 */
export const ISTIO_SCRAPE_JOBS: readonly string[] = ["kubernetes-pods", "kubernetes-pods-slow", "kubernetes-service-endpoints", "kubernetes-service-endpoints-slow"];

export function istioScrapeJobs(): Job[] {
    return [podJob("kubernetes-pods", false), podJob("kubernetes-pods-slow", true), serviceEndpointsJob("kubernetes-service-endpoints", false), serviceEndpointsJob("kubernetes-service-endpoints-slow", true)];
}

export interface RemoteWrite {
    readonly url: string;
    /** Whether a bearer token is mounted at REMOTE_WRITE_TOKEN_DIR/REMOTE_WRITE_TOKEN_KEY. */
    readonly bearerToken: boolean;
}

export interface ClusterPrometheusArgs {
    readonly meshId: string;
    readonly cluster: string;
    readonly network: string;
    readonly scrapeInterval: string;
    /** Every cluster's series also go to this (managed) Prometheus. */
    readonly remoteWrite?: RemoteWrite;
}

/** The external labels every series of a cluster carries when it leaves that cluster (federation, remote-write). */
export function clusterLabels(a: Pick<ClusterPrometheusArgs, "meshId" | "cluster" | "network">): Record<string, string> {
    return { mesh: a.meshId, cluster: a.cluster, network: a.network };
}

/** One cluster's Prometheus: Istio's jobs, its own metrics, and its identity as external labels. */
export function clusterPrometheusConfig(a: ClusterPrometheusArgs): string {
    const config: Record<string, unknown> = {
        global: { scrape_interval: a.scrapeInterval, scrape_timeout: timeoutFor(a.scrapeInterval), evaluation_interval: "1m", external_labels: clusterLabels(a) },
        ...(a.remoteWrite
            ? {
                  remote_write: [
                      {
                          url: a.remoteWrite.url,
                          ...(a.remoteWrite.bearerToken ? { authorization: { type: "Bearer", credentials_file: `${REMOTE_WRITE_TOKEN_DIR}/${REMOTE_WRITE_TOKEN_KEY}` } } : {}),
                      },
                  ],
              }
            : {}),
        scrape_configs: [...istioScrapeJobs(), { job_name: "prometheus", static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }] }],
    };
    return render(config);
}

/** One cluster's Prometheus as the global one reaches it. */
export interface FederationTarget {
    readonly cluster: string;
    readonly network: string;
    /** host:port, an IP or a DNS name (AWS load balancers have names). */
    readonly address: string;
}

export interface GlobalPrometheusArgs {
    readonly meshId: string;
    readonly scrapeInterval: string;
    /** `match[]` selectors of the federated series. */
    readonly match: readonly string[];
    readonly targets: readonly FederationTarget[];
}

/** The federation job of one cluster: named after it, so a job stays put when the list is reordered. */
export function federationJobName(cluster: string): string {
    return `federate-${cluster}`;
}

/**
 * The global Prometheus: one `/federate` job per cluster (Istio's "Using Prometheus for
 * production-scale monitoring", prometheus.io/docs/prometheus/latest/federation). `honor_labels`
 * keeps the labels the series carry, among them the cluster's external labels, which `/federate`
 * adds (web/federate.go); the target's own `cluster`/`network` labels name the source in `up`.
 */
export function globalPrometheusConfig(a: GlobalPrometheusArgs): string {
    const seen = new Set<string>();
    for (const t of a.targets) {
        if (seen.has(t.cluster)) throw new Error(`two federation targets for cluster ${t.cluster}`);
        seen.add(t.cluster);
    }
    const config = {
        global: { scrape_interval: a.scrapeInterval, scrape_timeout: timeoutFor(a.scrapeInterval), evaluation_interval: "1m", external_labels: { mesh: a.meshId } },
        scrape_configs: [
            ...a.targets.map((t) => ({
                job_name: federationJobName(t.cluster),
                honor_labels: true,
                metrics_path: "/federate",
                params: { "match[]": [...a.match] },
                static_configs: [{ targets: [t.address], labels: { cluster: t.cluster, network: t.network } }],
            })),
            { job_name: "prometheus", static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }] },
        ],
    };
    return render(config);
}

/** Prometheus refuses a scrape_timeout longer than the interval; its default is 10s. */
function timeoutFor(interval: string): string {
    return durationSeconds(interval) < 10 ? interval : "10s";
}

/** Seconds in a Prometheus duration (model.ParseDuration's units). */
export function durationSeconds(d: string): number {
    const units: Record<string, number> = { y: 365 * 86400, w: 7 * 86400, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };
    let total = 0;
    for (const [, n, unit] of d.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(n) * units[unit];
    return total;
}

function render(config: Record<string, unknown>): string {
    // No anchors or aliases: the file is read by Prometheus and people, never re-merged.
    return YAML.stringify(config, { aliasDuplicateObjects: false, lineWidth: 0 });
}
