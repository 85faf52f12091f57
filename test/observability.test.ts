/**
 * Observability across clusters (stacks/observability.ts, components/observability/): the config
 * and its errors, the Prometheus files as pure functions, the chart values and Istio settings, and
 * what the program registers under the mocks, with the order the graph must give the global view.
 */
import * as fs from "fs";
import * as path from "path";
import * as fc from "fast-check";
import * as YAML from "yaml";
import { clusterPrometheusConfig, durationSeconds, federationJobName, globalPrometheusConfig, istioScrapeJobs, ISTIO_SCRAPE_JOBS } from "../components/observability/prometheus-config";
import { configMapName, istiodObservabilityValues, grafanaChartValues, prometheusChartValues, prometheusServerSelector, telemetrySpec, TRACING_PROVIDER, DASHBOARD_CONFIG_MAPS, kialiChartValues } from "../components/observability/values";
import { withObservability } from "../components/observability/istio";
import { trafficMeshConfig } from "../components/istio/traffic";
import { istiodValues } from "../components/istio/values";
import { MeshConfig, parseMeshConfig } from "../stacks/config";
import { DEFAULT_OBSERVABILITY_CHARTS } from "../stacks/observability";
import { planMesh } from "../stacks/topology";
import { isSecretValue, reveal } from "./support/mocks";
import { KubeObject, useChartRenderer } from "./support/chart";
import { istioModuleDir, pin } from "./support/observability";
import { runMesh, writeKubeconfig } from "./support/run";
import { rawTopology, twoPrimariesAndRemote } from "./support/topologies";
import { configProblems } from "./support/config";

type Raw = Record<string, unknown>;
const withObs = (observability: unknown, raw: Raw = twoPrimariesAndRemote()): Raw => ({ ...raw, observability });

describe("config", () => {
    test("defaults: metrics everywhere, the global view in the first primary, Grafana, JSON access logs; tracing waits for a collector; Kiali off", () => {
        const o = parseMeshConfig(twoPrimariesAndRemote()).observability;
        expect(o.accessLogs).toEqual({ enabled: true, encoding: "JSON" });
        expect(o.metrics).toMatchObject({ enabled: true, scrapeInterval: "15s", retention: "24h", chart: { chart: "prometheus", version: "28.13.0", repository: DEFAULT_OBSERVABILITY_CHARTS.prometheus.repository } });
        expect(o.global).toMatchObject({ enabled: true, cluster: "aws-east", federate: true, retention: "15d", match: ['{__name__=~"istio_.*"}', '{__name__=~"pilot_.*"}'] });
        expect(o.grafana).toMatchObject({ enabled: true, chart: { chart: "grafana", version: "9.2.2" } });
        expect(fs.existsSync(o.grafana.dashboardsDirectory)).toBe(true);
        expect(o.tracing).toEqual({ enabled: false, samplingPercentage: 1 });
        expect(o.kiali).toMatchObject({ enabled: false, chart: { chart: "kiali-server", version: "2.27.0" } });
    });

    test("the global cluster is a primary by default, any named cluster otherwise; a collector turns tracing on", () => {
        const o = parseMeshConfig(withObs({ global: { cluster: "aws-west" }, tracing: { collector: { service: "otel.observability.svc.cluster.local" }, samplingPercentage: 10 } })).observability;
        expect(o.global.cluster).toBe("aws-west");
        expect(o.tracing).toEqual({ enabled: true, collector: { service: "otel.observability.svc.cluster.local", port: 4317 }, samplingPercentage: 10 });
        const remoteFirst = twoPrimariesAndRemote() as { clusters: Raw[] };
        expect(parseMeshConfig({ ...remoteFirst, clusters: [remoteFirst.clusters[2], ...remoteFirst.clusters.slice(0, 2)] }).observability.global.cluster).toBe("aws-east");
    });

    test("an existing Prometheus: every cluster remote-writes there and nothing federates", () => {
        const o = parseMeshConfig(withObs({ global: { remoteWrite: { url: "https://prom.example.com/api/v1/write", bearerToken: "t0ken" } }, grafana: { prometheusUrl: "https://prom.example.com" } })).observability;
        expect(o.global).toMatchObject({ federate: false, remoteWrite: { url: "https://prom.example.com/api/v1/write" } });
    });

    test("every problem at once, each naming its key", () => {
        const found = configProblems(
            withObs({
                global: { cluster: "nowhere", sourceRanges: ["10.0.0.1/8"] },
                metrics: { scrapeInterval: "15 seconds", enabled: false },
                tracing: { enabled: true, samplingPercentage: 150 },
                kiali: { enabled: true, colour: "blue" },
                logs: {},
            }),
        );
        expect(found).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^mesh:observability\.logs: unknown key$/),
                expect.stringMatching(/^mesh:observability\.global\.sourceRanges\[0\]: must be an IPv4 CIDR block/),
                expect.stringMatching(/^mesh:observability\.metrics\.scrapeInterval: must be a Prometheus duration/),
                expect.stringMatching(/^mesh:observability\.tracing\.samplingPercentage: /),
                expect.stringMatching(/^mesh:observability\.kiali\.colour: unknown key$/),
            ]),
        );
        const semantic = configProblems(withObs({ global: { cluster: "nowhere" }, metrics: { enabled: false }, tracing: { enabled: true } }));
        expect(semantic).toEqual([
            'mesh:observability.global.cluster: "nowhere" is not the name of a cluster in mesh:clusters (aws-east, azure-west, aws-west)',
            "mesh:observability.global.enabled: the global view collects each cluster's Prometheus, but mesh:observability.metrics.enabled is false; enable metrics or set global.enabled: false",
            "mesh:observability.tracing.collector: required when tracing.enabled is true: the OTLP/gRPC endpoint (service, port) of the collector every proxy sends spans to",
        ]);
    });

    test("an existing Prometheus needs Grafana told where to read, and rules out Kiali and source ranges", () => {
        expect(configProblems(withObs({ global: { remoteWrite: { url: "https://prom.example.com/api/v1/write" }, sourceRanges: ["203.0.113.0/24"] }, kiali: { enabled: true } }))).toEqual([
            "mesh:observability.global.sourceRanges: only used when the in-cluster global Prometheus federates the clusters, not with global.remoteWrite",
            expect.stringMatching(/^mesh:observability\.grafana\.prometheusUrl: required when Grafana is enabled without the in-cluster global Prometheus/),
            "mesh:observability.kiali.enabled: Kiali reads the in-cluster global Prometheus, which global.remoteWrite or global.enabled: false removes",
        ]);
        expect(configProblems(withObs({ global: { remoteWrite: { url: "not a url" } } }))).toEqual(expect.arrayContaining([expect.stringMatching(/^mesh:observability\.global\.remoteWrite\.url: /)]));
    });

    test("federation load balancers are never open to all: an existing global cluster needs its egress known", () => {
        const kubeconfig = writeKubeconfig({ onprem: "https://onprem.example.internal:6443" });
        const raw = twoPrimariesAndRemote() as { clusters: Raw[] };
        const onprem = { name: "onprem", provider: "existing", network: "net-dc", existing: { kubeconfig } };
        const mesh = { ...raw, clusters: [...raw.clusters, onprem] };
        expect(configProblems(withObs({ global: { cluster: "onprem" } }, mesh))).toEqual([expect.stringMatching(/^mesh:observability\.global\.sourceRanges: required: the global Prometheus runs in the existing cluster "onprem"/)]);
        expect(configProblems(withObs({ global: { cluster: "onprem", sourceRanges: ["203.0.113.0/24"] } }, mesh))).toEqual([]);
        expect(configProblems(withObs({ global: { cluster: "onprem" } }, { ...mesh, clusters: [...raw.clusters, { ...onprem, existing: { kubeconfig, egressCidrs: ["203.0.113.0/24"] } }] }))).toEqual([]);
    });

    test("with tracing on, mesh:policy may not add a second mesh-wide Telemetry, nor one of the same name", () => {
        const tracing = { tracing: { collector: { service: "otel.obs.svc.cluster.local" } } };
        const telemetry = (name: string, spec: Record<string, unknown>) => ({ apiVersion: "telemetry.istio.io/v1", kind: "Telemetry", metadata: { name }, spec });
        const logs = { accessLogging: [{ providers: [{ name: "envoy" }] }] };
        const withPolicy = (o: unknown, ...resources: unknown[]) => ({ ...withObs(o), policy: { resources } });
        expect(configProblems(withPolicy(tracing, telemetry("logs", logs)))).toEqual([
            expect.stringMatching(/^mesh:policy\.resources\[0\]: a Telemetry without selector next to the program's mesh-wide one for tracing .*MultipleTelemetriesWithoutWorkloadSelectors/),
        ]);
        expect(configProblems(withPolicy(tracing, telemetry("mesh-default", { selector: { matchLabels: { app: "a" } }, ...logs })))).toEqual([
            "mesh:policy.resources[0].metadata.name: Telemetry/mesh-default is the program's tracing Telemetry (mesh:observability.tracing); choose another name",
        ]);
        // A workload's own Telemetry, or any with tracing off, is no clash.
        expect(configProblems(withPolicy(tracing, telemetry("logs", { selector: { matchLabels: { app: "a" } }, ...logs })))).toEqual([]);
        expect(configProblems(withPolicy({}, telemetry("logs", logs)))).toEqual([]);
    });

    test("charts from a local directory must be there; dashboards must exist", () => {
        expect(configProblems(withObs({ metrics: { chart: { repository: "/nonexistent/charts" } }, grafana: { dashboardsDirectory: "/nonexistent/dashboards" } }))).toEqual([
            "mesh:observability.metrics.chart.repository: must be an http(s)/oci Helm repository URL or a directory holding the prometheus/ chart; /nonexistent/charts/prometheus/Chart.yaml does not exist",
            "mesh:observability.grafana.dashboardsDirectory: /nonexistent/dashboards holds no dashboard (*.json)",
        ]);
        // A part that is off needs none of it.
        expect(configProblems(withObs({ metrics: { enabled: false, chart: { repository: "/nonexistent/charts" } }, global: { enabled: false }, grafana: { enabled: false, dashboardsDirectory: "/nonexistent" } }))).toEqual([]);
    });
});

describe("Prometheus files", () => {
    const cluster = { meshId: "m", cluster: "aws-east", network: "net-east", scrapeInterval: "15s" };

    test("a cluster's: Istio's jobs and its identity as external labels", () => {
        const c = YAML.parse(clusterPrometheusConfig(cluster));
        expect(c.global).toEqual({ scrape_interval: "15s", scrape_timeout: "10s", evaluation_interval: "1m", external_labels: { mesh: "m", cluster: "aws-east", network: "net-east" } });
        expect(c.scrape_configs.map((j: { job_name: string }) => j.job_name)).toEqual([...ISTIO_SCRAPE_JOBS, "prometheus"]);
        expect(c.remote_write).toBeUndefined();
    });

    test("...remote-writing to an existing Prometheus, the token read from a mounted file, never written in the file", () => {
        const c = YAML.parse(clusterPrometheusConfig({ ...cluster, remoteWrite: { url: "https://prom.example.com/api/v1/write", bearerToken: true } }));
        expect(c.remote_write).toEqual([{ url: "https://prom.example.com/api/v1/write", authorization: { type: "Bearer", credentials_file: "/etc/secrets/remote-write/token" } }]);
    });

    test("Istio's scrape jobs are those of the pinned Istio's samples/addons/prometheus.yaml", () => {
        const dir = istioModuleDir();
        if (!dir) {
            console.warn("SKIPPED: the pinned istio.io/istio module is not in Go's module cache (go mod download, or scripts/toolchain.sh istio)");
            return;
        }
        const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, "samples", "addons", "prometheus.yaml"), "utf8")).map((d) => d.toJSON());
        const cm = docs.find((d) => d?.kind === "ConfigMap" && d.metadata.name === "prometheus");
        // Prometheus reads the file's unquoted `regex: true` as the string "true" (relabel.Regexp's UnmarshalYAML); ours is quoted.
        const upstream = JSON.parse(JSON.stringify(YAML.parse(cm.data["prometheus.yml"]).scrape_configs), (k, v) => (k === "regex" && v === true ? "true" : v)) as { job_name: string }[];
        expect(istioScrapeJobs()).toEqual(ISTIO_SCRAPE_JOBS.map((name) => upstream.find((j) => j.job_name === name)));
    });

    test("the global one: a /federate job per cluster with its labels, honouring the series' own", () => {
        const g = YAML.parse(
            globalPrometheusConfig({
                meshId: "m",
                scrapeInterval: "30s",
                match: ['{__name__=~"istio_.*"}'],
                targets: [
                    { cluster: "c1", network: "n1", address: "prometheus.istio-system.svc.cluster.local:9090" },
                    { cluster: "c2", network: "n2", address: "c2-lb.elb.amazonaws.com:9090" },
                ],
            }),
        );
        expect(g.global.external_labels).toEqual({ mesh: "m" });
        expect(g.scrape_configs).toEqual([
            { job_name: "federate-c1", honor_labels: true, metrics_path: "/federate", params: { "match[]": ['{__name__=~"istio_.*"}'] }, static_configs: [{ targets: ["prometheus.istio-system.svc.cluster.local:9090"], labels: { cluster: "c1", network: "n1" } }] },
            { job_name: "federate-c2", honor_labels: true, metrics_path: "/federate", params: { "match[]": ['{__name__=~"istio_.*"}'] }, static_configs: [{ targets: ["c2-lb.elb.amazonaws.com:9090"], labels: { cluster: "c2", network: "n2" } }] },
            { job_name: "prometheus", static_configs: [{ targets: ["localhost:9090"] }] },
        ]);
        expect(() => globalPrometheusConfig({ meshId: "m", scrapeInterval: "15s", match: ["up"], targets: [{ cluster: "c1", network: "n", address: "a:9090" }, { cluster: "c1", network: "n", address: "b:9090" }] })).toThrow(/two federation targets for cluster c1/);
    });

    test("durations: a timeout never longer than the interval", () => {
        expect([durationSeconds("15s"), durationSeconds("1m30s"), durationSeconds("1d"), durationSeconds("500ms")]).toEqual([15, 90, 86400, 0.5]);
        expect(YAML.parse(clusterPrometheusConfig({ ...cluster, scrapeInterval: "5s" })).global.scrape_timeout).toBe("5s");
    });
});

describe("Istio settings and chart values", () => {
    const config = (observability: unknown = {}) => parseMeshConfig(withObs(observability)).observability;

    test("istiod: JSON access logs to stdout and the collector as an OpenTelemetry extension provider", () => {
        expect(istiodObservabilityValues(config())).toEqual({ meshConfig: { accessLogFile: "/dev/stdout", accessLogEncoding: "JSON" } });
        expect(istiodObservabilityValues(config({ accessLogs: { enabled: false } }))).toEqual({});
        expect(istiodObservabilityValues(config({ accessLogs: { encoding: "TEXT" }, tracing: { collector: { service: "otel.obs.svc.cluster.local", port: 4318 } } }))).toEqual({
            meshConfig: { accessLogFile: "/dev/stdout", accessLogEncoding: "TEXT", extensionProviders: [{ name: TRACING_PROVIDER, opentelemetry: { service: "otel.obs.svc.cluster.local", port: 4318 } }] },
        });
    });

    test("...under the stack's own istiod values, which win, and into every istiod (primaries and remotes)", () => {
        const mesh = parseMeshConfig({ ...withObs({}), istio: { values: { istiod: { meshConfig: { accessLogEncoding: "TEXT" } } } } });
        const istio = withObservability(mesh.istio, mesh.observability);
        for (const p of planMesh(mesh).clusters) {
            const v = istiodValues({ ...mesh, istio }, p, p.isPrimary ? {} : { primary: { address: "198.51.100.1", trustBundlePem: "ROOT" } }) as any;
            expect(v.meshConfig).toMatchObject({ accessLogFile: "/dev/stdout", accessLogEncoding: "TEXT", trustDomain: "cluster.local" });
        }
    });

    test("the mesh-wide Telemetry: tracing to that provider at the configured rate, only with a collector", () => {
        expect(telemetrySpec(config())).toBeUndefined();
        expect(telemetrySpec(config({ tracing: { collector: { service: "otel.obs.svc.cluster.local" }, samplingPercentage: 2.5 } }))).toEqual({
            tracing: [{ providers: [{ name: TRACING_PROVIDER }], randomSamplingPercentage: 2.5 }],
        });
        expect(telemetrySpec(config({ tracing: { enabled: false, collector: { service: "otel.obs.svc.cluster.local" } } }))).toBeUndefined();
    });

    test("prometheus chart: the server alone, reading the program's ConfigMap, the token only as a mounted Secret", () => {
        const o = config({ metrics: { chart: { values: { server: { resources: { requests: { memory: "2Gi" } } } } } } });
        const v = prometheusChartValues(o.metrics.chart, { release: "prometheus", retention: "24h", kubernetesDiscovery: true, remoteWriteSecret: "prometheus-remote-write" }) as any;
        expect(v.server).toMatchObject({
            fullnameOverride: "prometheus",
            configMapOverrideName: "mesh-config",
            retention: "24h",
            service: { servicePort: 9090 },
            podLabels: { "sidecar.istio.io/inject": "false" },
            resources: { requests: { memory: "2Gi" } },
            extraSecretMounts: [{ name: "remote-write", mountPath: "/etc/secrets/remote-write", secretName: "prometheus-remote-write", readOnly: true }],
        });
        expect([v.alertmanager.enabled, v["prometheus-pushgateway"].enabled, v["kube-state-metrics"].enabled, v["prometheus-node-exporter"].enabled, v.rbac]).toEqual([false, false, false, false, undefined]);
        expect((prometheusChartValues(o.metrics.chart, { release: "prometheus-global", retention: "15d", kubernetesDiscovery: false }) as any).rbac).toEqual({ create: false });
    });

    test("the default charts are the versions the pinned Istio's addons are rendered from (manifests/addons/gen.sh)", () => {
        const dir = istioModuleDir();
        if (!dir) {
            console.warn("SKIPPED: the pinned istio.io/istio module is not in Go's module cache");
            return;
        }
        const gen = fs.readFileSync(path.join(dir, "manifests", "addons", "gen.sh"), "utf8");
        // Each `helm template` command (continuation lines joined): the --version of the one naming the chart.
        const commands = gen.replace(/\\\n/g, " ").split("\n").filter((l) => l.trim().startsWith("helm template"));
        const variable = (v: string) => new RegExp(`${v}=\\$\\{${v}:-"([^"]+)"\\}`).exec(gen)?.[1];
        const helmVersion = (chart: string) => {
            const tokens = commands.map((c) => c.trim().split(/\s+/)).find((t) => t.includes(chart) && t.includes("--repo"));
            const v = tokens?.[tokens.indexOf("--version") + 1]?.replace(/"/g, "");
            const ref = v && /^\$\{(\w+)\}$/.exec(v);
            return ref ? variable(ref[1]) : v;
        };
        expect({ prometheus: helmVersion("prometheus"), kiali: helmVersion("kiali-server"), grafana: helmVersion("grafana") }).toEqual({
            prometheus: DEFAULT_OBSERVABILITY_CHARTS.prometheus.version,
            kiali: DEFAULT_OBSERVABILITY_CHARTS.kiali.version,
            grafana: DEFAULT_OBSERVABILITY_CHARTS.grafana.version,
        });
        // ...and the toolchain's prometheus/promtool are the Prometheus that chart runs.
        const addon = fs.readFileSync(path.join(dir, "samples", "addons", "prometheus.yaml"), "utf8");
        expect(/image: "docker\.io\/prom\/prometheus:v([^"]+)"/.exec(addon)?.[1]).toBe(pin("PROMETHEUS_VERSION"));
    });

    test("grafana chart: Istio's providers, dashboards and data source, no demo login, no password in the values", () => {
        const v = grafanaChartValues(config().grafana.chart, { prometheusUrl: "http://prometheus-global.istio-system.svc.cluster.local:9090", scrapeInterval: "15s" }) as any;
        expect(v.dashboardsConfigMaps).toEqual({ istio: "istio-grafana-dashboards", "istio-services": "istio-services-grafana-dashboards" });
        expect(v.datasources["datasources.yaml"].datasources).toEqual([expect.objectContaining({ name: "Prometheus", url: "http://prometheus-global.istio-system.svc.cluster.local:9090", isDefault: true })]);
        expect(JSON.stringify(v)).not.toMatch(/PASSWORD|ANONYMOUS|anonymous/i);
    });

    test("kiali chart: its cluster's name, the global Prometheus, other clusters through remote secrets, the chart's own login", () => {
        const v = kialiChartValues(config({ kiali: { enabled: true } }).kiali.chart, { clusterName: "aws-east", prometheusHost: "prometheus-global.istio-system.svc.cluster.local:9090" }) as any;
        expect(v).toMatchObject({ kubernetes_config: { cluster_name: "aws-east" }, clustering: { autodetect_secrets: { enabled: true } }, external_services: { prometheus: { url: "http://prometheus-global.istio-system.svc.cluster.local:9090" } } });
        expect(v.auth).toBeUndefined();
    });

    test("Istio's dashboards are the pinned Istio's manifests/addons/dashboards, in samples/addons/grafana.yaml's two ConfigMaps", () => {
        const ours = path.join(__dirname, "..", "components", "observability", "dashboards");
        expect(fs.readdirSync(ours).sort()).toEqual(Object.values(DASHBOARD_CONFIG_MAPS).flat().sort());
        const dir = istioModuleDir();
        if (!dir) {
            console.warn("SKIPPED: the pinned istio.io/istio module is not in Go's module cache");
            return;
        }
        for (const file of fs.readdirSync(ours)) {
            const upstream = ["pilot-dashboard.json", "ztunnel-dashboard.json", "istio-mesh-dashboard.json"].includes(file) ? file.replace(/\.json$/, ".gen.json") : file;
            expect([file, JSON.parse(fs.readFileSync(path.join(ours, file), "utf8"))]).toEqual([file, JSON.parse(fs.readFileSync(path.join(dir, "manifests", "addons", "dashboards", upstream), "utf8"))]);
        }
    });
});

/**
 * The prometheus chart the program installs (28.13.0, kept for the local world in test/e2e/charts)
 * rendered with the program's values by the Kubernetes provider's Helm engine, the one a
 * `helm.sh/v3:Release` installs with: the values must mean to this chart what the program says.
 */
describe("what the prometheus chart renders from them", () => {
    const CHART = path.join(__dirname, "e2e", "charts", "prometheus");
    const config = () => parseMeshConfig(withObs({})).observability;
    const renderer = useChartRenderer();
    async function render(release: string, values: Record<string, unknown>): Promise<KubeObject[] | undefined> {
        return renderer()?.renderDirectory(CHART, release, values);
    }

    test("the kept chart is the default chart's version", () => {
        expect(/^version:\s*(\S+)$/m.exec(fs.readFileSync(path.join(CHART, "Chart.yaml"), "utf8"))?.[1]).toBe(DEFAULT_OBSERVABILITY_CHARTS.prometheus.version);
    });

    test("a cluster's: one server Deployment reading the program's ConfigMap, selected by the federation Service, with RBAC for Kubernetes discovery; nothing else", async () => {
        const chart = config().metrics.chart;
        const objects = await render("prometheus", prometheusChartValues(chart, { release: "prometheus", retention: "24h", kubernetesDiscovery: true, remoteWriteSecret: "prometheus-remote-write" }));
        if (!objects) return;
        expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
            "ClusterRole/prometheus",
            "ClusterRoleBinding/prometheus",
            "Deployment/prometheus",
            "PersistentVolumeClaim/prometheus",
            "Service/prometheus",
            "ServiceAccount/prometheus",
        ]);
        const deployment = objects.find((o) => o.kind === "Deployment")!;
        const pod = deployment.spec.template;
        expect(pod.metadata.labels).toMatchObject({ ...prometheusServerSelector("prometheus"), "sidecar.istio.io/inject": "false" });
        const server = pod.spec.containers.find((c: { name: string }) => c.name === "prometheus-server");
        expect(server.args).toEqual(expect.arrayContaining(["--storage.tsdb.retention.time=24h", "--config.file=/etc/config/prometheus.yml"]));
        expect(server.ports).toEqual([expect.objectContaining({ containerPort: 9090 })]);
        expect(pod.spec.volumes).toEqual(expect.arrayContaining([{ name: "config-volume", configMap: { name: configMapName("prometheus") } }, { name: "remote-write", secret: { secretName: "prometheus-remote-write" } }]));
        expect(server.volumeMounts).toEqual(expect.arrayContaining([expect.objectContaining({ name: "remote-write", mountPath: "/etc/secrets/remote-write", readOnly: true })]));
        const service = objects.find((o) => o.kind === "Service")!;
        expect(service.spec.ports).toEqual([expect.objectContaining({ port: 9090 })]);
    });

    test("the global one: the same server under its own name and ConfigMap, no ClusterRole (it discovers nothing)", async () => {
        const chart = config().metrics.chart;
        const objects = await render("prometheus-global", prometheusChartValues(chart, { release: "prometheus-global", retention: "15d", kubernetesDiscovery: false }));
        if (!objects) return;
        expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(["Deployment/prometheus-global", "PersistentVolumeClaim/prometheus-global", "Service/prometheus-global", "ServiceAccount/prometheus-global"]);
        const pod = objects.find((o) => o.kind === "Deployment")!.spec.template;
        expect(pod.spec.volumes).toEqual(expect.arrayContaining([{ name: "config-volume", configMap: { name: configMapName("prometheus-global") } }]));
        expect(pod.spec.containers.find((c: { name: string }) => c.name === "prometheus-server").args).toEqual(expect.arrayContaining(["--storage.tsdb.retention.time=15d"]));
    });
});

describe("under the mocks", () => {
    const remoteWrite = { global: { remoteWrite: { url: "https://prom.example.com/api/v1/write", bearerToken: "s3cr3t-remote-write-token" } }, grafana: { prometheusUrl: "https://prom.example.com" } };

    test("a Prometheus in every cluster; the global one in aws-east federates the others through their load balancers, which admit only aws-east's egress", async () => {
        const { mocks } = await runMesh(parseMeshConfig(twoPrimariesAndRemote()));
        const releases = mocks.ofType("kubernetes:helm.sh/v3:Release").filter((r) => ["prometheus", "prometheus-global", "grafana"].includes(r.inputs.name));
        expect(releases.map((r) => [r.name, r.inputs.chart, r.inputs.version, r.inputs.repositoryOpts.repo]).sort()).toEqual([
            ["mesh-aws-east-observability-global-grafana", "grafana", "9.2.2", "https://grafana.github.io/helm-charts"],
            ["mesh-aws-east-observability-global-prometheus", "prometheus", "28.13.0", "https://prometheus-community.github.io/helm-charts"],
            ["mesh-aws-east-observability-prometheus", "prometheus", "28.13.0", "https://prometheus-community.github.io/helm-charts"],
            ["mesh-aws-west-observability-prometheus", "prometheus", "28.13.0", "https://prometheus-community.github.io/helm-charts"],
            ["mesh-azure-west-observability-prometheus", "prometheus", "28.13.0", "https://prometheus-community.github.io/helm-charts"],
        ]);
        for (const r of releases) expect(r.inputs.namespace).toBe("istio-system");

        const lbs = mocks.resources.filter((r) => r.name.endsWith("-observability-prometheus-federation"));
        expect(lbs.map((r) => r.name).sort()).toEqual(["mesh-aws-west-observability-prometheus-federation", "mesh-azure-west-observability-prometheus-federation"]);
        const eastEgress = mocks.named("mesh-aws-east-nat-ip").inputs;
        expect(eastEgress).toBeDefined();
        for (const lb of lbs) {
            expect(lb.inputs.spec.type).toBe("LoadBalancer");
            expect(lb.inputs.spec.selector).toEqual({ "app.kubernetes.io/component": "server", "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "prometheus" });
            expect(lb.inputs.spec.loadBalancerSourceRanges).toHaveLength(1);
            expect(lb.inputs.spec.loadBalancerSourceRanges[0]).toMatch(/^198\.51\.100\.\d+\/32$/);
        }

        const config = mocks.named("mesh-aws-east-observability-global-prometheus-config");
        const global = YAML.parse(config.inputs.data["prometheus.yml"]);
        expect(global.scrape_configs.map((j: any) => [j.job_name, j.static_configs[0].targets[0], j.static_configs[0].labels])).toEqual([
            ["federate-aws-east", "prometheus.istio-system.svc.cluster.local:9090", { cluster: "aws-east", network: "net-east" }],
            ["federate-azure-west", expect.stringMatching(/^203\.0\.113\.\d+:9090$/), { cluster: "azure-west", network: "net-westeurope" }],
            ["federate-aws-west", "aws-west-ew.elb.amazonaws.com:9090", { cluster: "aws-west", network: "net-west" }],
            ["prometheus", "localhost:9090", undefined],
        ]);
        // The graph: the global file is made from every cluster's Prometheus and load balancer.
        expect(config.dependsOn).toEqual(
            expect.arrayContaining([
                "mesh-aws-east-observability-prometheus",
                "mesh-azure-west-observability-prometheus",
                "mesh-azure-west-observability-prometheus-federation",
                "mesh-aws-west-observability-prometheus",
                "mesh-aws-west-observability-prometheus-federation",
            ]),
        );
        expect(mocks.named("mesh-aws-east-observability-global-prometheus").dependsOn).toContain("mesh-aws-east-observability-global-prometheus-config");

        // Each cluster's own file names it.
        for (const c of ["aws-east", "azure-west", "aws-west"]) {
            const file = YAML.parse(mocks.named(`mesh-${c}-observability-prometheus-config`).inputs.data["prometheus.yml"]);
            expect(file.global.external_labels.cluster).toBe(c);
            expect(mocks.named(`mesh-${c}-observability-prometheus`).dependsOn).toContain(`mesh-${c}-observability-prometheus-config`);
        }
        // Istio's dashboards, in the two ConfigMaps Grafana mounts.
        const maps = mocks.resources.filter((r) => r.inputs?.metadata?.name?.endsWith("grafana-dashboards"));
        expect(maps.map((m) => Object.keys(m.inputs.data).sort())).toEqual(Object.values(DASHBOARD_CONFIG_MAPS).map((f) => [...f].sort()));
        expect(mocks.named("mesh-aws-east-observability-global-grafana").dependsOn).toEqual(expect.arrayContaining(maps.map((m) => m.name)));
    });

    test("access logs reach every istiod; no Telemetry without a collector", async () => {
        const { mocks } = await runMesh(parseMeshConfig(twoPrimariesAndRemote()));
        for (const c of ["aws-east", "azure-west", "aws-west"]) expect(mocks.named(`mesh-${c}-istio-istiod`).inputs.values.meshConfig).toMatchObject({ accessLogFile: "/dev/stdout", accessLogEncoding: "JSON" });
        expect(mocks.ofType("kubernetes:telemetry.istio.io/v1:Telemetry")).toEqual([]);
    });

    test("tracing during a canary upgrade: the Telemetry waits for every revision's istiod, each of which has the provider", async () => {
        const raw = withObs({ tracing: { collector: { service: "otel-collector.observability.svc.cluster.local" } } });
        const istio = { ...(raw.istio as Raw), revisions: [{ name: "default", version: "1.30.3" }, { name: "1-31-0", version: "1.31.0" }] };
        const { mocks } = await runMesh(parseMeshConfig({ ...raw, istio }));
        for (const c of ["aws-east", "azure-west"]) {
            expect(mocks.named(`mesh-${c}-observability-telemetry`).dependsOn).toEqual(expect.arrayContaining([`mesh-${c}-istio-istiod`, `mesh-${c}-istio-istiod-1-31-0`]));
            for (const r of [`mesh-${c}-istio-istiod`, `mesh-${c}-istio-istiod-1-31-0`]) expect(mocks.named(r).inputs.values.meshConfig.extensionProviders).toEqual([expect.objectContaining({ name: TRACING_PROVIDER })]);
        }
    });

    test("tracing: the same Telemetry on every primary, after the istiod that validates it; the provider in every istiod", async () => {
        const { mocks } = await runMesh(parseMeshConfig(withObs({ tracing: { collector: { service: "otel-collector.observability.svc.cluster.local" }, samplingPercentage: 5 } })));
        const telemetry = mocks.ofType("kubernetes:telemetry.istio.io/v1:Telemetry");
        expect(telemetry.map((t) => t.name).sort()).toEqual(["mesh-aws-east-observability-telemetry", "mesh-azure-west-observability-telemetry"]);
        for (const t of telemetry) {
            expect(t.inputs.metadata).toEqual({ name: "mesh-default", namespace: "istio-system" });
            expect(t.inputs.spec).toEqual({ tracing: [{ providers: [{ name: TRACING_PROVIDER }], randomSamplingPercentage: 5 }] });
            const c = t.name.replace(/^mesh-/, "").replace(/-observability-telemetry$/, "");
            expect(t.dependsOn).toEqual(expect.arrayContaining([`mesh-${c}-istio-base`, `mesh-${c}-istio-istiod`]));
        }
        for (const c of ["aws-east", "azure-west", "aws-west"]) {
            expect(mocks.named(`mesh-${c}-istio-istiod`).inputs.values.meshConfig.extensionProviders).toEqual([{ name: TRACING_PROVIDER, opentelemetry: { service: "otel-collector.observability.svc.cluster.local", port: 4317 } }]);
        }
    });

    test("an existing Prometheus: every cluster remote-writes with the token from a secret Secret; no global Prometheus, no load balancer; the token in no Helm values", async () => {
        const { mocks } = await runMesh(parseMeshConfig(withObs(remoteWrite)));
        expect(mocks.resources.filter((r) => r.name.includes("federation") || r.name.includes("observability-global-prometheus"))).toEqual([]);
        for (const c of ["aws-east", "azure-west", "aws-west"]) {
            const secret = mocks.named(`mesh-${c}-observability-remote-write-token`);
            expect(isSecretValue(secret.inputs.stringData)).toBe(true);
            expect(reveal(secret.inputs.stringData)).toEqual({ token: "s3cr3t-remote-write-token" });
            expect(YAML.parse(mocks.named(`mesh-${c}-observability-prometheus-config`).inputs.data["prometheus.yml"]).remote_write[0].url).toBe("https://prom.example.com/api/v1/write");
            expect(mocks.named(`mesh-${c}-observability-prometheus`).dependsOn).toContain(`mesh-${c}-observability-remote-write-token`);
        }
        const plain = JSON.stringify(mocks.resources.filter((r) => !r.name.endsWith("-remote-write-token")).map((r) => reveal(r.inputs)));
        expect(plain).not.toContain("s3cr3t-remote-write-token");
        expect(mocks.named("mesh-aws-east-observability-global-grafana").inputs.values.datasources["datasources.yaml"].datasources[0].url).toBe("https://prom.example.com");
    });

    test("Kiali: in the global cluster, reading every other cluster through a secret kubeconfig of Kiali's own ServiceAccount there", async () => {
        const { mocks } = await runMesh(parseMeshConfig(withObs({ kiali: { enabled: true } })));
        expect(mocks.named("mesh-aws-east-observability-global-kiali").inputs.values.kubernetes_config).toEqual({ cluster_name: "aws-east" });
        for (const c of ["azure-west", "aws-west"]) {
            expect(mocks.named(`mesh-${c}-observability-kiali-remote`).inputs.values.deployment).toEqual({ remote_cluster_resources_only: true });
            const secret = mocks.named(`mesh-aws-east-observability-global-kiali-remote-${c}`);
            expect(secret.inputs.metadata).toMatchObject({ name: `kiali-remote-cluster-secret-${c}`, labels: { "kiali.io/multiCluster": "true" }, annotations: { "kiali.io/cluster": c } });
            expect(isSecretValue(secret.inputs.data)).toBe(true);
            const kubeconfig = YAML.parse(Buffer.from(reveal(secret.inputs.data)[c], "base64").toString());
            expect(kubeconfig.users[0].user).toEqual({ token: `token-of-${c}` });
            expect(secret.provider).toMatch(/::mesh-aws-east-k8s::/);
            expect(mocks.named("mesh-aws-east-observability-global-kiali").dependsOn).toContain(secret.name);
        }
        expect(mocks.resources.filter((r) => r.name === "mesh-aws-east-observability-kiali-remote")).toEqual([]);
    });

    test("every part off: no observability resource, istiod values as before", async () => {
        const off = { accessLogs: { enabled: false }, metrics: { enabled: false }, global: { enabled: false }, grafana: { enabled: false } };
        const config = parseMeshConfig(withObs(off));
        const { mocks } = await runMesh(config);
        expect(mocks.resources.filter((r) => r.name.includes("observability"))).toEqual([]);
        // Only what mesh:traffic sets (test/traffic.test.ts): no access log or tracing key left behind.
        expect(mocks.named("mesh-aws-east-istio-istiod").inputs.values.meshConfig).toEqual({ ...trafficMeshConfig(config.traffic, config.istio.version), trustDomain: "cluster.local" });
    });
});

/** Random valid meshes: 1–5 clusters on 1–3 networks on both clouds, any cluster may hold the global view. */
const rawMesh = fc
    .tuple(rawTopology(5), fc.nat())
    .map(([raw, global]) => ({ ...raw, observability: { global: { cluster: `c${global % raw.clusters.length}` } } }));

test("for any valid mesh, every cluster's Prometheus is in the global configuration, and the graph has it exist first", async () => {
    await fc.assert(
        fc.asyncProperty(rawMesh, async (raw) => {
            const config: MeshConfig = parseMeshConfig(raw);
            const { mocks } = await runMesh(config);
            const g = config.observability.global.cluster;
            const file = mocks.named(`mesh-${g}-observability-global-prometheus-config`);
            const jobs = YAML.parse(file.inputs.data["prometheus.yml"]).scrape_configs as any[];
            expect(jobs.map((j) => j.job_name)).toEqual([...config.clusters.map((c) => federationJobName(c.name)), "prometheus"]);
            for (const c of config.clusters) {
                const job = jobs.find((j) => j.job_name === federationJobName(c.name));
                expect(job.static_configs[0].labels).toEqual({ cluster: c.name, network: c.network });
                expect(job.metrics_path).toBe("/federate");
                expect(file.dependsOn).toContain(`mesh-${c.name}-observability-prometheus`);
                if (c.name !== g) {
                    expect(file.dependsOn).toContain(`mesh-${c.name}-observability-prometheus-federation`);
                    expect(mocks.named(`mesh-${c.name}-observability-prometheus-federation`).provider).toMatch(new RegExp(`::mesh-${c.name}-k8s::`));
                }
            }
            expect(file.provider).toMatch(new RegExp(`::mesh-${g}-k8s::`));
        }),
        { numRuns: 4, endOnFailure: true },
    );
}, 300_000);
