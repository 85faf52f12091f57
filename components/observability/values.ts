/**
 * Helm values and Istio objects for observability, from the config alone: Istio's mesh config
 * (access logs, the tracing provider), the mesh-wide Telemetry resource, and the values of the
 * upstream prometheus, grafana and kiali-server charts. Pure functions, pinned by tests.
 */
import { ObservabilityConfig, TELEMETRY_NAME } from "../../stacks/observability";
import { merge } from "../istio/values";
import { PROMETHEUS_PORT, REMOTE_WRITE_TOKEN_DIR } from "./prometheus-config";

type Values = Record<string, unknown>;

/** The name under which meshConfig.extensionProviders declares the tracing collector. */
export const TRACING_PROVIDER = "mesh-otel-tracing";
/** The mesh-wide Telemetry resource: in the root namespace with no selector, it applies to every workload. */
export { TELEMETRY_NAME };
/** Helm release names, and so the Services Grafana and Kiali find (Istio's addons use the same). */
export const RELEASES = { prometheus: "prometheus", globalPrometheus: "prometheus-global", grafana: "grafana", kiali: "kiali" } as const;
/** Suffix of the ConfigMap each Prometheus release reads (chart: `<release>-<server.configMapOverrideName>`). */
const CONFIG_MAP_SUFFIX = "mesh-config";
export const configMapName = (release: string): string => `${release}-${CONFIG_MAP_SUFFIX}`;
/** The Secret holding the remote-write bearer token, in each cluster. */
export const REMOTE_WRITE_SECRET = "prometheus-remote-write";
/** The load balancer through which the global Prometheus federates a cluster's Prometheus. */
export const FEDERATION_SERVICE = "prometheus-federation";
/** Pods the prometheus chart's server runs (templates/_helpers.tpl selectorLabels, component server). */
export function prometheusServerSelector(release: string): Record<string, string> {
    return { "app.kubernetes.io/component": "server", "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": release };
}
/** In-cluster address of a Prometheus this program installs (its Service is the release's server fullname). */
export function prometheusServiceHost(release: string, namespace: string): string {
    return `${release}.${namespace}.svc.cluster.local:${PROMETHEUS_PORT}`;
}

/**
 * meshConfig for istiod: structured access logs to stdout (meshConfig.accessLogFile and
 * accessLogEncoding, which the built-in `envoy` log provider uses), and the OpenTelemetry
 * collector as an extension provider that the Telemetry resource selects (Istio's
 * "OpenTelemetry" task: meshConfig.extensionProviders[].opentelemetry {service, port}).
 * These go *under* mesh:istio.values.istiod, so an explicit value there wins.
 */
export function istiodObservabilityValues(o: ObservabilityConfig): Values {
    const meshConfig: Values = {};
    if (o.accessLogs.enabled) Object.assign(meshConfig, { accessLogFile: "/dev/stdout", accessLogEncoding: o.accessLogs.encoding });
    if (o.tracing.enabled && o.tracing.collector) {
        meshConfig.extensionProviders = [{ name: TRACING_PROVIDER, opentelemetry: { service: o.tracing.collector.service, port: o.tracing.collector.port } }];
    }
    return Object.keys(meshConfig).length > 0 ? { meshConfig } : {};
}

/** The mesh-wide Telemetry (telemetry.istio.io/v1), on every primary (config cluster): tracing to the collector at the configured rate. */
export function telemetrySpec(o: ObservabilityConfig): Values | undefined {
    if (!o.tracing.enabled) return undefined;
    return { tracing: [{ providers: [{ name: TRACING_PROVIDER }], randomSamplingPercentage: o.tracing.samplingPercentage }] };
}

export interface PrometheusChartArgs {
    readonly release: string;
    readonly retention: string;
    /** Kubernetes service discovery (the cluster Prometheus): the chart's ClusterRole for it. */
    readonly kubernetesDiscovery: boolean;
    /** The Secret to mount at REMOTE_WRITE_TOKEN_DIR, when there is a token. */
    readonly remoteWriteSecret?: string;
}

/**
 * The prometheus-community/prometheus chart as Istio's addon configures it
 * (manifests/addons/values-prometheus.yaml: the server alone, no sidecar, port 9090), but reading
 * its configuration from the ConfigMap this program writes (`server.configMapOverrideName`,
 * mounted at /etc/config; the chart's config reloader follows changes), so the file Prometheus
 * loads is exactly the one the tests check with promtool.
 */
export function prometheusChartValues(chart: { values: Readonly<Values> }, a: PrometheusChartArgs): Values {
    return merge(chart.values as Values, {
        alertmanager: { enabled: false },
        "prometheus-pushgateway": { enabled: false },
        "kube-state-metrics": { enabled: false },
        "prometheus-node-exporter": { enabled: false },
        // The global Prometheus discovers nothing in Kubernetes: no ClusterRole for it.
        ...(a.kubernetesDiscovery ? {} : { rbac: { create: false } }),
        server: {
            fullnameOverride: a.release,
            podLabels: { "sidecar.istio.io/inject": "false" },
            service: { servicePort: PROMETHEUS_PORT },
            configMapOverrideName: CONFIG_MAP_SUFFIX,
            retention: a.retention,
            ...(a.remoteWriteSecret ? { extraSecretMounts: [{ name: "remote-write", mountPath: REMOTE_WRITE_TOKEN_DIR, secretName: a.remoteWriteSecret, readOnly: true }] } : {}),
        },
    });
}

/** Istio's dashboards split into the two ConfigMaps of samples/addons/grafana.yaml (manifests/addons/gen.sh), under Kubernetes' size limit. */
export const DASHBOARD_CONFIG_MAPS = {
    "istio-grafana-dashboards": ["pilot-dashboard.json", "ztunnel-dashboard.json", "istio-performance-dashboard.json"],
    "istio-services-grafana-dashboards": ["istio-workload-dashboard.json", "istio-service-dashboard.json", "istio-mesh-dashboard.json", "istio-extension-dashboard.json"],
} as const;

/** Which ConfigMap a dashboard file goes to: Istio's split for Istio's files, the first for any other. */
export function dashboardConfigMap(file: string): keyof typeof DASHBOARD_CONFIG_MAPS {
    return (Object.keys(DASHBOARD_CONFIG_MAPS) as (keyof typeof DASHBOARD_CONFIG_MAPS)[]).find((k) => (DASHBOARD_CONFIG_MAPS[k] as readonly string[]).includes(file)) ?? "istio-grafana-dashboards";
}

/**
 * The grafana chart as Istio's addon configures it (manifests/addons/values-grafana.yaml: the two
 * dashboard providers and ConfigMaps, a Prometheus data source), without its demo settings: no
 * anonymous admin, no password in the values (the chart then generates the admin password into
 * its own Secret, `grafana`/admin-password).
 */
export function grafanaChartValues(chart: { values: Readonly<Values> }, a: { prometheusUrl: string; scrapeInterval: string }): Values {
    const provider = (name: string) => ({ name, orgId: 1, folder: "istio", type: "file", disableDeletion: false, options: { path: `/var/lib/grafana/dashboards/${name}` } });
    return merge(chart.values as Values, {
        rbac: { create: false, pspEnabled: false },
        testFramework: { enabled: false },
        podLabels: { "sidecar.istio.io/inject": "false" },
        service: { port: 3000 },
        dashboardProviders: { "dashboardproviders.yaml": { apiVersion: 1, providers: [provider("istio"), provider("istio-services")] } },
        dashboardsConfigMaps: { istio: "istio-grafana-dashboards", "istio-services": "istio-services-grafana-dashboards" },
        datasources: {
            "datasources.yaml": {
                apiVersion: 1,
                datasources: [{ name: "Prometheus", type: "prometheus", orgId: 1, url: a.prometheusUrl, access: "proxy", isDefault: true, jsonData: { timeInterval: a.scrapeInterval }, editable: false }],
            },
        },
    });
}

/**
 * kiali-server in the global cluster (manifests/addons/values-kiali.yaml without its anonymous
 * login: the chart's default token login), reading the global Prometheus and, with
 * `clustering.autodetect_secrets`, every other cluster through the `kiali.io/multiCluster`
 * Secrets this program writes (Kiali's "multi-cluster" install: remote cluster secrets).
 */
export function kialiChartValues(chart: { values: Readonly<Values> }, a: { clusterName: string; prometheusHost: string; grafanaUrl?: string }): Values {
    return merge(chart.values as Values, {
        deployment: { pod_labels: { "sidecar.istio.io/inject": "false" }, ingress_enabled: false },
        kubernetes_config: { cluster_name: a.clusterName },
        clustering: { autodetect_secrets: { enabled: true } },
        external_services: {
            prometheus: { url: `http://${a.prometheusHost}` },
            grafana: a.grafanaUrl ? { enabled: true, internal_url: a.grafanaUrl } : { enabled: false },
            // Kiali's tracing integration needs a query API (Jaeger/Tempo), which an OTLP collector is not.
            tracing: { enabled: false },
        },
    });
}

/** What a cluster other than Kiali's needs for Kiali to read it: the chart's remote-resources-only mode (ServiceAccount and read RBAC). */
export function kialiRemoteChartValues(chart: { values: Readonly<Values> }): Values {
    return merge(chart.values as Values, { deployment: { remote_cluster_resources_only: true } });
}
