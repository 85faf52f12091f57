/**
 * Control-plane HA (mesh:availability): the config and its checks, the Helm values of istiod and the
 * east-west gateways, and what the real charts render from them: replicas, autoscaler, disruption
 * budget, spread over zones and nodes, requests.
 */
import * as YAML from "yaml";
import { gatewayAvailabilityValues, istiodAvailabilityValues } from "../components/istio/ha";
import { eastWestGatewayValues, istiodValues } from "../components/istio/values";
import { MeshConfig, parseMeshConfig } from "../stacks/config";
import { planMesh } from "../stacks/topology";
import { KubeObject, useChartRenderer } from "./support/chart";
import { runMesh } from "./support/run";
import { twoPrimariesAndRemote } from "./support/topologies";
import { configProblems } from "./support/config";

const withAvailability = (availability: unknown) => ({ ...twoPrimariesAndRemote(), availability });

const ISTIOD_SPREAD = [
    {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: { app: "istiod", istio: "pilot" } },
        matchLabelKeys: ["pod-template-hash"],
        nodeTaintsPolicy: "Honor",
    },
    {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: { app: "istiod", istio: "pilot" } },
        matchLabelKeys: ["pod-template-hash"],
        nodeTaintsPolicy: "Honor",
    },
];

describe("config", () => {
    test("defaults: two replicas up to five, one pod away at a time, spread over zones (preferred) and nodes (required), the charts' requests", () => {
        const { availability } = parseMeshConfig(twoPrimariesAndRemote());
        expect(availability.istiod).toEqual({
            replicas: 2,
            maxReplicas: 5,
            resources: { requests: { cpu: "500m", memory: "2048Mi" } },
            disruptionBudget: { maxUnavailable: 1 },
            spread: { zone: "ScheduleAnyway", node: "DoNotSchedule" },
        });
        expect(availability.eastWestGateway).toEqual({
            replicas: 2,
            maxReplicas: 5,
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } },
            disruptionBudget: { maxUnavailable: 1 },
            spread: { zone: "ScheduleAnyway", node: "DoNotSchedule" },
        });
    });

    test("maxReplicas follows a larger replicas; minAvailable, percentages and switching parts off are accepted", () => {
        const { availability } = parseMeshConfig(
            withAvailability({
                istiod: { replicas: 7, disruptionBudget: { minAvailable: "50%" }, spread: { zone: "DoNotSchedule", node: "Off" } },
                eastWestGateway: { replicas: 1, maxReplicas: 1, disruptionBudget: { enabled: false }, resources: { requests: { cpu: 0.25, memory: "1Gi" } } },
            }),
        );
        expect(availability.istiod).toMatchObject({ replicas: 7, maxReplicas: 7, disruptionBudget: { minAvailable: "50%" }, spread: { zone: "DoNotSchedule", node: "Off" } });
        expect(availability.eastWestGateway).toMatchObject({ replicas: 1, maxReplicas: 1, disruptionBudget: false, resources: { requests: { cpu: 0.25, memory: "1Gi" } } });
    });

    test("every problem at once, each naming its key", () => {
        expect(
            configProblems(
                withAvailability({
                    istiod: { replicas: 3, maxReplicas: 2, disruptionBudget: { minAvailable: 3, maxUnavailable: 1 }, spread: { zone: "Sometimes" } },
                    eastWestGateway: { replicas: 0, resources: { requests: { memory: "lots" } }, surge: 1 },
                }),
            ).sort(),
        ).toEqual(
            [
                "mesh:availability.istiod.spread.zone: must be one of DoNotSchedule, ScheduleAnyway, Off",
                "mesh:availability.eastWestGateway.replicas: Too small: expected number to be >0",
                "mesh:availability.eastWestGateway.resources.requests.memory: must be a Kubernetes quantity like 500m or 2Gi",
                "mesh:availability.eastWestGateway.surge: unknown key",
            ].sort(),
        );
        // Cross-field rules, once the shapes are right.
        expect(
            configProblems(
                withAvailability({
                    istiod: { replicas: 3, maxReplicas: 2, disruptionBudget: { minAvailable: 3, maxUnavailable: 1 } },
                    eastWestGateway: { replicas: 2, resources: { requests: { memory: "1Gi" } }, disruptionBudget: { enabled: false, minAvailable: "100%" } },
                }),
            ),
        ).toEqual([
            "mesh:availability.istiod.maxReplicas: 2 is below replicas (3); the autoscaler's maximum must be at least its minimum",
            "mesh:availability.istiod.disruptionBudget: give minAvailable or maxUnavailable, not both (a PodDisruptionBudget takes one)",
            "mesh:availability.istiod.disruptionBudget.minAvailable: 3 of 3 replicas would block every node drain; use fewer, or maxUnavailable",
            "mesh:availability.eastWestGateway.resources.requests.cpu: required while maxReplicas (5) is above replicas (2): the autoscaler scales on CPU utilization of the request",
            "mesh:availability.eastWestGateway.disruptionBudget: minAvailable and maxUnavailable need enabled: true",
            "mesh:availability.eastWestGateway.disruptionBudget.minAvailable: 100% of 2 replicas would block every node drain; use fewer, or maxUnavailable",
        ]);
    });

    test("values in mesh:istio.values that mesh:availability sets are refused, naming the key to use (pilot.* is the istiod chart's alias of the top level)", () => {
        const raw = { ...twoPrimariesAndRemote(), istio: { values: { istiod: { autoscaleMin: 3, pilot: { resources: { requests: { cpu: "1" } }, env: { FOO: "1" } } }, gateway: { podDisruptionBudget: { minAvailable: 1 }, autoscaling: { targetCPUUtilizationPercentage: 60 } } } } };
        expect(configProblems(raw)).toEqual([
            "mesh:istio.values.istiod.autoscaleMin: the program sets autoscaleMin from mesh:availability.istiod.replicas; set it there (the program's value would override this one)",
            "mesh:istio.values.istiod.resources.requests.cpu: the program sets resources from mesh:availability.istiod.resources; set it there (the program's value would override this one)",
            "mesh:istio.values.gateway.podDisruptionBudget.minAvailable: the program sets podDisruptionBudget from mesh:availability.eastWestGateway.disruptionBudget; set it there (the program's value would override this one)",
        ]);
    });
});

describe("Helm values", () => {
    const config = parseMeshConfig(twoPrimariesAndRemote());

    test("istiod: the chart's own value names (istio-discovery values.yaml), autoscaler from replicas to maxReplicas", () => {
        expect(istiodAvailabilityValues(config.availability.istiod)).toEqual({
            autoscaleEnabled: true,
            autoscaleMin: 2,
            autoscaleMax: 5,
            replicaCount: 2,
            resources: { requests: { cpu: "500m", memory: "2048Mi" } },
            topologySpreadConstraints: ISTIOD_SPREAD,
            pdb: { maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" },
            global: { defaultPodDisruptionBudget: { enabled: true } },
        });
        // maxReplicas = replicas: a fixed count, no autoscaler; no budget: the chart's switch off.
        expect(istiodAvailabilityValues({ ...config.availability.istiod, replicas: 3, maxReplicas: 3, disruptionBudget: false })).toMatchObject({
            autoscaleEnabled: false,
            replicaCount: 3,
            global: { defaultPodDisruptionBudget: { enabled: false } },
        });
        expect(istiodAvailabilityValues({ ...config.availability.istiod, disruptionBudget: false }).pdb).toBeUndefined();
    });

    test("gateway: the chart's own value names (gateway values.yaml)", () => {
        expect(gatewayAvailabilityValues(config.availability.eastWestGateway)).toEqual({
            replicaCount: 2,
            autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5 },
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } },
            topologySpreadConstraints: ISTIOD_SPREAD.map((c) => ({ ...c, labelSelector: { matchLabels: { app: "istio-eastwestgateway", istio: "eastwestgateway" } } })),
            podDisruptionBudget: { maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" },
        });
        expect(gatewayAvailabilityValues({ ...config.availability.eastWestGateway, disruptionBudget: false, spread: { zone: "Off", node: "Off" } })).toMatchObject({ podDisruptionBudget: {}, topologySpreadConstraints: [] });
    });

    test("primaries' istiods carry them, remotes' do not (they run no istiod); every gateway does, with the user's other values merged under", () => {
        const plan = planMesh(config);
        for (const p of plan.clusters) {
            const v = istiodValues(config, p, p.isPrimary ? {} : { primary: { address: "198.51.100.1", trustBundlePem: "ROOT" } }) as any;
            expect([p.cluster.name, v.autoscaleMin, v.topologySpreadConstraints?.length]).toEqual(p.isPrimary ? [p.cluster.name, 2, 2] : [p.cluster.name, undefined, undefined]);
            expect((eastWestGatewayValues(config, p) as any).autoscaling).toEqual({ enabled: true, minReplicas: 2, maxReplicas: 5 });
        }
        const custom = parseMeshConfig({ ...twoPrimariesAndRemote(), istio: { values: { gateway: { autoscaling: { targetCPUUtilizationPercentage: 60 } }, istiod: { cpu: { targetAverageUtilization: 60 } } } } });
        const p = planMesh(custom).clusters[0];
        expect((eastWestGatewayValues(custom, p) as any).autoscaling).toEqual({ targetCPUUtilizationPercentage: 60, enabled: true, minReplicas: 2, maxReplicas: 5 });
        expect((istiodValues(custom, p) as any).cpu).toEqual({ targetAverageUtilization: 60 });
    });

    test("the releases the program registers carry them", async () => {
        const { mocks } = await runMesh(parseMeshConfig(withAvailability({ istiod: { replicas: 3, maxReplicas: 6 }, eastWestGateway: { replicas: 3 } })));
        for (const c of ["aws-east", "azure-west"]) expect(mocks.named(`mesh-${c}-istio-istiod`).inputs.values).toMatchObject({ autoscaleMin: 3, autoscaleMax: 6, pdb: { maxUnavailable: 1 } });
        expect(mocks.named("mesh-aws-west-istio-istiod").inputs.values.autoscaleMin).toBeUndefined();
        for (const c of ["aws-east", "azure-west", "aws-west"]) expect(mocks.named(`mesh-${c}-eastwest-release`).inputs.values.autoscaling).toEqual({ enabled: true, minReplicas: 3, maxReplicas: 5 });
    });
});

/**
 * The real charts (istiod: templates/deployment.yaml, autoscale.yaml, poddisruptionbudget.yaml,
 * configmap.yaml; gateway: templates/deployment.yaml, hpa.yaml, poddisruptionbudget.yaml) rendered
 * with the program's values by the Kubernetes provider's Helm engine.
 */
describe("what the charts render from them", () => {
    const renderer = useChartRenderer();

    const find = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);
    /** istiod's or the gateway's objects, rendered for the first primary (or the remote) of the production shape. */
    async function render(config: MeshConfig, chart: "istiod" | "gateway", cluster = "aws-east"): Promise<KubeObject[] | undefined> {
        const r = renderer();
        if (!r) return undefined;
        const p = planMesh(config).clusters.find((c) => c.cluster.name === cluster)!;
        const context = p.isPrimary ? { gatewayAddress: "203.0.113.10" } : { primary: { address: "203.0.113.10", trustBundlePem: "ROOT" } };
        const values = chart === "istiod" ? istiodValues(config, p, context) : eastWestGatewayValues(config, p);
        return r.render(chart, chart === "istiod" ? "istiod" : "istio-eastwestgateway", values);
    }

    test("istiod, defaults: HPA 2–5 (no fixed replicas), PDB maxUnavailable 1, spread, requests", async () => {
        const objects = await render(parseMeshConfig(twoPrimariesAndRemote()), "istiod");
        if (!objects) return;
        const [deployment] = find(objects, "Deployment");
        expect(deployment.spec.replicas).toBeUndefined();
        expect(deployment.spec.template.spec.topologySpreadConstraints).toEqual(ISTIOD_SPREAD);
        expect(deployment.spec.template.metadata.labels).toMatchObject({ app: "istiod", istio: "pilot" });
        expect(deployment.spec.template.spec.containers.find((c: any) => c.name === "discovery").resources).toEqual({ requests: { cpu: "500m", memory: "2048Mi" } });
        expect(find(objects, "HorizontalPodAutoscaler").map((h) => [h.metadata.name, h.spec.minReplicas, h.spec.maxReplicas, h.spec.scaleTargetRef.name])).toEqual([["istiod", 2, 5, "istiod"]]);
        expect(find(objects, "PodDisruptionBudget").map((b) => b.spec)).toEqual([{ maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: { app: "istiod", istio: "pilot" } } }]);
    });

    test("istiod, one fixed replica: no autoscaler and no budget, so a drain is never blocked", async () => {
        const objects = await render(parseMeshConfig(withAvailability({ istiod: { replicas: 1, maxReplicas: 1 } })), "istiod");
        if (!objects) return;
        expect(find(objects, "Deployment")[0].spec.replicas).toBe(1);
        expect(find(objects, "HorizontalPodAutoscaler")).toEqual([]);
        expect(find(objects, "PodDisruptionBudget")).toEqual([]);
    });

    test("istiod, three fixed replicas with minAvailable 2 and the budget switched off", async () => {
        const fixed = await render(parseMeshConfig(withAvailability({ istiod: { replicas: 3, maxReplicas: 3, disruptionBudget: { minAvailable: 2 } } })), "istiod");
        if (!fixed) return;
        expect(find(fixed, "Deployment")[0].spec.replicas).toBe(3);
        expect(find(fixed, "HorizontalPodAutoscaler")).toEqual([]);
        expect(find(fixed, "PodDisruptionBudget").map((b) => b.spec)).toEqual([{ minAvailable: 2, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: { app: "istiod", istio: "pilot" } } }]);
        const off = await render(parseMeshConfig(withAvailability({ istiod: { replicas: 3, disruptionBudget: { enabled: false } } })), "istiod");
        expect(find(off!, "PodDisruptionBudget")).toEqual([]);
    });

    test("a remote's istiod release renders no Deployment, autoscaler or budget", async () => {
        const objects = await render(parseMeshConfig(twoPrimariesAndRemote()), "istiod", "aws-west");
        if (!objects) return;
        expect(objects.filter((o) => ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget"].includes(o.kind))).toEqual([]);
    });

    test("the east-west gateway: HPA, PDB, spread, requests; one replica: no budget", async () => {
        const objects = await render(parseMeshConfig(twoPrimariesAndRemote()), "gateway");
        if (!objects) return;
        const [deployment] = find(objects, "Deployment");
        const labels = { app: "istio-eastwestgateway", istio: "eastwestgateway" };
        expect(deployment.spec.replicas).toBeUndefined();
        expect(deployment.spec.template.metadata.labels).toMatchObject(labels);
        expect(deployment.spec.template.spec.topologySpreadConstraints).toEqual(ISTIOD_SPREAD.map((c) => ({ ...c, labelSelector: { matchLabels: labels } })));
        expect(deployment.spec.template.spec.containers.find((c: any) => c.name === "istio-proxy").resources).toEqual({
            requests: { cpu: "100m", memory: "128Mi" },
            limits: { cpu: "2000m", memory: "1024Mi" },
        });
        expect(find(objects, "HorizontalPodAutoscaler").map((h) => [h.metadata.name, h.spec.minReplicas, h.spec.maxReplicas])).toEqual([["istio-eastwestgateway", 2, 5]]);
        expect(find(objects, "PodDisruptionBudget").map((b) => b.spec)).toEqual([{ maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: labels } }]);
        // service.type None: the program makes the Service (components/istio/manifests.ts).
        expect(find(objects, "Service")).toEqual([]);

        const single = await render(parseMeshConfig(withAvailability({ eastWestGateway: { replicas: 1 } })), "gateway");
        expect(find(single!, "PodDisruptionBudget")).toEqual([]);
        expect(find(single!, "HorizontalPodAutoscaler").map((h) => h.spec.minReplicas)).toEqual([1]);
    });

    test("istiod's mesh config carries the traffic defaults (configmap.yaml renders meshConfig into the `istio` ConfigMap)", async () => {
        const objects = await render(parseMeshConfig({ ...twoPrimariesAndRemote(), traffic: { clusterLocalHosts: ["*.batch.svc.cluster.local"] } }), "istiod");
        if (!objects) return;
        const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "istio")!;
        const mesh = YAML.parse(configMap.data!.mesh);
        expect(mesh.defaultConfig.proxyMetadata).toMatchObject({ ISTIO_META_DNS_CAPTURE: "true" });
        expect(mesh.localityLbSetting).toEqual({
            enabled: true,
            failover: [
                { from: "us-east-1", to: "westeurope" },
                { from: "westeurope", to: "us-west-2" },
                { from: "us-west-2", to: "us-east-1" },
            ],
        });
        expect(mesh.serviceSettings).toEqual([{ settings: { clusterLocal: true }, hosts: ["*.batch.svc.cluster.local"] }]);
        const env = find(objects, "Deployment")[0].spec.template.spec.containers.find((c: any) => c.name === "discovery").env;
        expect(env).toContainEqual({ name: "PILOT_ENABLE_IP_AUTOALLOCATE", value: "true" });
    });

    test("another failover list changes ConfigMaps only, not istiod's Deployment (istiod reloads its mesh config, no restart)", async () => {
        const derived = await render(parseMeshConfig(twoPrimariesAndRemote()), "istiod");
        if (!derived) return;
        const given = await render(parseMeshConfig({ ...twoPrimariesAndRemote(), traffic: { localityLoadBalancing: { failover: [{ from: "us-east-1", to: "us-west-2" }] } } }), "istiod");
        const changed = derived.filter((o) => JSON.stringify(o) !== JSON.stringify(given!.find((g) => g.kind === o.kind && g.metadata.name === o.metadata.name)));
        // `values` is the chart's record of its values (templates/configmap-values.yaml), read by istioctl.
        expect(changed.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(["ConfigMap/istio", "ConfigMap/values"]);
    });
});
