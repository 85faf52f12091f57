/**
 * `mesh:observability`: metrics per cluster, one global view, Grafana, tracing, access logs and
 * Kiali, each on by default where a production platform wants it, each able to be turned off or
 * pointed at a system that already exists. Checked with the rest of the config (stacks/config.ts),
 * before any resource; every problem names its key.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { parseCidr } from "./cidr";
import { expandHome } from "./kubeconfig";

/**
 * Upstream charts and the versions Istio's own addons are rendered from (manifests/addons/gen.sh in
 * the pinned istio.io/istio module, release-1.31 of 2026-08-27): prometheus-community/prometheus
 * 28.13.0 (Prometheus v3.10.0, the toolchain's prometheus and promtool), grafana 9.2.2,
 * kiali-server 2.27.0. test/observability.test.ts compares them with gen.sh.
 */
export const DEFAULT_OBSERVABILITY_CHARTS = {
    prometheus: { repository: "https://prometheus-community.github.io/helm-charts", chart: "prometheus", version: "28.13.0" },
    grafana: { repository: "https://grafana.github.io/helm-charts", chart: "grafana", version: "9.2.2" },
    kiali: { repository: "https://kiali.org/helm-charts", chart: "kiali-server", version: "2.27.0" },
} as const;

/**
 * Istio's dashboards, kept in the repository: copied from manifests/addons/dashboards of the pinned
 * Istio module (`$(go env GOMODCACHE)/istio.io/istio@<ISTIO_MODVER>/`, scripts/toolchain/versions.env),
 * the `*.gen.json` ones (pilot, ztunnel, istio-mesh) without `.gen`, each compacted with `jq -c`
 * as gen.sh does before samples/addons/grafana.yaml puts them into ConfigMaps; re-copy them when
 * ISTIO_MODVER moves (test/observability.test.ts fails until then). Relative paths are resolved
 * against the project directory, where Pulumi runs the program.
 */
export const DEFAULT_DASHBOARDS_DIRECTORY = "components/observability/dashboards";

/**
 * The mesh-wide Telemetry resource that turns tracing on (istio-system, no selector). Here rather
 * than with the component, because mesh:policy's own Telemetry objects are checked against it
 * (stacks/config.ts telemetryClashes).
 */
export const TELEMETRY_NAME = "mesh-default";

/** What the global Prometheus federates: Istio's standard metrics and istiod's (pilot_*). */
export const DEFAULT_FEDERATION_MATCH = ['{__name__=~"istio_.*"}', '{__name__=~"pilot_.*"}'];

// Prometheus' duration syntax (github.com/prometheus/common/model ParseDuration).
const duration = z.string().regex(/^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/, "must be a Prometheus duration like 15s, 1m or 15d").refine((s) => s !== "", "must not be empty");
const chartValues = z.record(z.string(), z.unknown());
const cidr = z.string().refine((s) => parseCidr(s) !== undefined, "must be an IPv4 CIDR block like 203.0.113.0/24 with no host bits set");

const chartSchema = (d: { repository: string; version: string }) =>
    z
        .strictObject({
            /** A Helm repository URL (http(s) or oci), or a directory holding the chart in a subdirectory of its name. */
            repository: z.string().min(1).default(d.repository),
            version: z.string().min(1).default(d.version),
            /** Extra Helm values, merged under the values this program sets. */
            values: chartValues.default({}),
        })
        .default({ repository: d.repository, version: d.version, values: {} });

const observabilitySchema = z.strictObject({
    accessLogs: z
        .strictObject({
            enabled: z.boolean().default(true),
            /** Envoy's access log encoding (meshConfig.accessLogEncoding). */
            encoding: z.enum(["JSON", "TEXT"], { message: "must be JSON or TEXT" }).default("JSON"),
        })
        .default({ enabled: true, encoding: "JSON" }),
    metrics: z
        .strictObject({
            /** A Prometheus in every cluster, scraping istiod, gateways and sidecars. */
            enabled: z.boolean().default(true),
            scrapeInterval: duration.default("15s"),
            /** How long each cluster keeps its own series; the global Prometheus keeps its copy longer. */
            retention: duration.default("24h"),
            chart: chartSchema(DEFAULT_OBSERVABILITY_CHARTS.prometheus),
        })
        .default({ enabled: true, scrapeInterval: "15s", retention: "24h", chart: { ...DEFAULT_OBSERVABILITY_CHARTS.prometheus, values: {} } }),
    global: z
        .strictObject({
            /** One view of every cluster's metrics. */
            enabled: z.boolean().default(true),
            /** Where the global Prometheus, Grafana and Kiali run; default: the first primary. */
            cluster: z.string().min(1).optional(),
            retention: duration.default("15d"),
            /** `match[]` selectors of the series the global Prometheus federates from each cluster. */
            match: z.array(z.string().min(1)).min(1).default(DEFAULT_FEDERATION_MATCH),
            /** Added to the global cluster's egress CIDRs as the sources each cluster's federation load balancer admits. */
            sourceRanges: z.array(cidr).default([]),
            /**
             * An existing (managed) Prometheus instead of the in-cluster global one: every cluster's
             * Prometheus remote-writes to it.
             */
            remoteWrite: z
                .strictObject({
                    url: z.string().url(),
                    /** Sent as `Authorization: Bearer`; keep it a Pulumi secret (`pulumi config set --secret --path`). */
                    bearerToken: z.string().min(1).optional(),
                })
                .optional(),
        })
        .default({ enabled: true, retention: "15d", match: DEFAULT_FEDERATION_MATCH, sourceRanges: [] }),
    grafana: z
        .strictObject({
            enabled: z.boolean().default(true),
            chart: chartSchema(DEFAULT_OBSERVABILITY_CHARTS.grafana),
            /** Directory of dashboard JSON files (Istio's by default). */
            dashboardsDirectory: z.string().min(1).default(DEFAULT_DASHBOARDS_DIRECTORY),
            /** Prometheus URL Grafana queries; default: the global Prometheus. Required with global.remoteWrite. */
            prometheusUrl: z.string().url().optional(),
        })
        .default({ enabled: true, chart: { ...DEFAULT_OBSERVABILITY_CHARTS.grafana, values: {} }, dashboardsDirectory: DEFAULT_DASHBOARDS_DIRECTORY }),
    tracing: z
        .strictObject({
            enabled: z.boolean().default(true),
            /** An OpenTelemetry collector (or Jaeger, which takes OTLP) every proxy sends spans to over OTLP/gRPC. */
            collector: z
                .strictObject({
                    /** Its Service's host name as the mesh knows it, e.g. otel-collector.observability.svc.cluster.local. */
                    service: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a host name like otel-collector.observability.svc.cluster.local"),
                    port: z.number().int().min(1).max(65535).default(4317),
                })
                .optional(),
            /** Percentage of requests traced (Telemetry randomSamplingPercentage). */
            samplingPercentage: z.number().min(0).max(100).default(1),
        })
        .default({ enabled: true, samplingPercentage: 1 }),
    kiali: z
        .strictObject({
            enabled: z.boolean().default(false),
            chart: chartSchema(DEFAULT_OBSERVABILITY_CHARTS.kiali),
        })
        .default({ enabled: false, chart: { ...DEFAULT_OBSERVABILITY_CHARTS.kiali, values: {} } }),
});

type Parsed = z.infer<typeof observabilitySchema>;

export interface ChartConfig {
    /** The chart's name in its repository, or its directory's name. */
    readonly chart: string;
    readonly repository: string;
    readonly version: string;
    readonly values: Readonly<Record<string, unknown>>;
    /** Set when repository is a local directory: the chart's absolute path. */
    readonly directory?: string;
}

/** The resolved observability settings: what is on, and where the mesh-wide parts run. */
export interface ObservabilityConfig {
    readonly accessLogs: Parsed["accessLogs"];
    readonly metrics: Omit<Parsed["metrics"], "chart"> & { readonly chart: ChartConfig };
    /** `cluster` resolved; `federate` when the in-cluster global Prometheus federates every cluster. */
    readonly global: Omit<Parsed["global"], "cluster"> & { readonly cluster: string; readonly federate: boolean };
    readonly grafana: Omit<Parsed["grafana"], "chart"> & { readonly chart: ChartConfig; readonly dashboardsDirectory: string };
    /** `enabled` only when a collector is configured. */
    readonly tracing: Parsed["tracing"];
    readonly kiali: Omit<Parsed["kiali"], "chart"> & { readonly chart: ChartConfig };
}

/** What the rules need of a cluster (stacks/config.ts ClusterConfig). */
interface ObservedCluster {
    readonly name: string;
    readonly role: string;
    readonly provider: string;
    readonly existing?: { readonly egressCidrs?: readonly string[] };
}

type Check = <T extends z.ZodType>(schema: T, value: unknown, key: string) => z.infer<T> | undefined;
const KEY = "mesh:observability";

/** `mesh:observability` with its defaults and cross-field rules; undefined when invalid (problems recorded). */
export function checkObservability(raw: unknown, clusters: readonly ObservedCluster[] | undefined, check: Check, problems: string[]): ObservabilityConfig | undefined {
    const o = check(observabilitySchema, raw ?? {}, KEY);
    if (!o) return undefined;
    const before = problems.length;
    const primaries = (clusters ?? []).filter((c) => c.role === "primary");
    let globalCluster = o.global.cluster ?? primaries[0]?.name ?? "";
    if (o.global.cluster !== undefined && clusters && !clusters.some((c) => c.name === o.global.cluster)) {
        problems.push(`${KEY}.global.cluster: "${o.global.cluster}" is not the name of a cluster in mesh:clusters (${clusters.map((c) => c.name).join(", ")})`);
        globalCluster = "";
    }
    const federate = o.global.enabled && o.global.remoteWrite === undefined;
    if (o.global.enabled && !o.metrics.enabled) {
        problems.push(`${KEY}.global.enabled: the global view collects each cluster's Prometheus, but ${KEY}.metrics.enabled is false; enable metrics or set global.enabled: false`);
    }
    if (!o.global.enabled && o.global.remoteWrite) {
        problems.push(`${KEY}.global.remoteWrite: only used with global.enabled: true`);
    }
    // The federation load balancers admit the global cluster's egress: a cloud cluster's is known
    // (NAT, outbound IP), an existing one's only when configured; without any they would be open.
    const global = clusters?.find((c) => c.name === globalCluster);
    if (federate && o.metrics.enabled && global?.provider === "existing" && !global.existing?.egressCidrs && o.global.sourceRanges.length === 0 && (clusters?.length ?? 0) > 1) {
        problems.push(
            `${KEY}.global.sourceRanges: required: the global Prometheus runs in the existing cluster "${globalCluster}", whose egress addresses are not configured (existing.egressCidrs), and each other cluster's federation load balancer must admit only it; list its egress CIDRs here or there`,
        );
    }
    if (o.global.remoteWrite && o.global.sourceRanges.length > 0) {
        problems.push(`${KEY}.global.sourceRanges: only used when the in-cluster global Prometheus federates the clusters, not with global.remoteWrite`);
    }
    if (o.grafana.enabled && !federate && o.grafana.prometheusUrl === undefined) {
        problems.push(
            `${KEY}.grafana.prometheusUrl: required when Grafana is enabled without the in-cluster global Prometheus (global.remoteWrite or global.enabled: false); give the query URL of the Prometheus Grafana should read, or set grafana.enabled: false`,
        );
    }
    if (o.kiali.enabled && !federate) {
        problems.push(`${KEY}.kiali.enabled: Kiali reads the in-cluster global Prometheus, which global.remoteWrite or global.enabled: false removes`);
    }
    if (o.tracing.enabled && o.tracing.collector === undefined && raw !== undefined && (raw as { tracing?: { enabled?: unknown } }).tracing?.enabled === true) {
        problems.push(`${KEY}.tracing.collector: required when tracing.enabled is true: the OTLP/gRPC endpoint (service, port) of the collector every proxy sends spans to`);
    }
    const metricsChart = chart(o.metrics.chart, DEFAULT_OBSERVABILITY_CHARTS.prometheus.chart, `${KEY}.metrics.chart`, o.metrics.enabled, problems);
    const grafanaChart = chart(o.grafana.chart, DEFAULT_OBSERVABILITY_CHARTS.grafana.chart, `${KEY}.grafana.chart`, o.grafana.enabled, problems);
    const kialiChart = chart(o.kiali.chart, DEFAULT_OBSERVABILITY_CHARTS.kiali.chart, `${KEY}.kiali.chart`, o.kiali.enabled, problems);
    const dashboardsDirectory = path.resolve(expandHome(o.grafana.dashboardsDirectory));
    if (o.grafana.enabled && !(fs.existsSync(dashboardsDirectory) && fs.readdirSync(dashboardsDirectory).some((f) => f.endsWith(".json")))) {
        problems.push(`${KEY}.grafana.dashboardsDirectory: ${dashboardsDirectory} holds no dashboard (*.json)`);
    }
    if (problems.length > before) return undefined;
    return {
        accessLogs: o.accessLogs,
        metrics: { ...o.metrics, chart: metricsChart },
        global: { ...o.global, cluster: globalCluster, federate },
        grafana: { ...o.grafana, chart: grafanaChart, dashboardsDirectory },
        tracing: { ...o.tracing, enabled: o.tracing.enabled && o.tracing.collector !== undefined },
        kiali: { ...o.kiali, chart: kialiChart },
    };
}

/** A chart from a repository URL, or from a local directory holding `<chart>/Chart.yaml` (checked only when the part is on). */
function chart(c: { repository: string; version: string; values: Record<string, unknown> }, name: string, key: string, used: boolean, problems: string[]): ChartConfig {
    if (/^(https?|oci):\/\//.test(c.repository) || !used) return { ...c, chart: name };
    const dir = path.join(path.resolve(expandHome(c.repository)), name);
    if (!fs.existsSync(path.join(dir, "Chart.yaml"))) {
        problems.push(`${key}.repository: must be an http(s)/oci Helm repository URL or a directory holding the ${name}/ chart; ${dir}/Chart.yaml does not exist`);
    }
    return { ...c, chart: name, directory: dir };
}
