/**
 * Cross-cluster traffic defaults (mesh:traffic): DNS proxy and address allocation, locality failover
 * derived from the clusters' regions or given, cluster-local hosts (istiod's meshConfig), and the
 * mesh-wide outlier-detection DestinationRule on every primary, after istiod.
 */
import * as fc from "fast-check";
import { ISTIOD_POD_LABELS } from "../components/istio/ha";
import { defaultDestinationRuleSpec, trafficIstiodEnv, trafficMeshConfig } from "../components/istio/traffic";
import { eastWestGatewayValues, istiodValues } from "../components/istio/values";
import { OWNED_VALUES, parseMeshConfig, valuePaths } from "../stacks/config";
import { deriveFailover, meshRegions } from "../stacks/failover";
import { planMesh } from "../stacks/topology";
import { DEPLOYER_ROLE_ARN } from "./support/mocks";
import { runMesh } from "./support/run";
import { multiPrimaryMultiNetwork, twoPrimariesAndRemote } from "./support/topologies";
import { configProblems } from "./support/config";

const withTraffic = (traffic: unknown, base = twoPrimariesAndRemote()) => ({ ...base, traffic });
const DR = "kubernetes:networking.istio.io/v1:DestinationRule";
/** Well-formed region names that Istio refuses (to itself) or ignores (a second entry, a region of no cluster). */
const BAD_FAILOVER = [
    { from: "us-east-1", to: "us-east-1" },
    { from: "us-east-1", to: "us-west-2" },
    { from: "westeurope", to: "eu-central-1" },
];

describe("config", () => {
    test("defaults: DNS capture and allocation on, failover derived from the regions in config order, outlier detection on *.local, no extra cluster-local hosts", () => {
        expect(parseMeshConfig(twoPrimariesAndRemote()).traffic).toEqual({
            dnsProxy: { capture: true, autoAllocate: true },
            localityLoadBalancing: {
                enabled: true,
                failoverFrom: "regions",
                failover: [
                    { from: "us-east-1", to: "westeurope" },
                    { from: "westeurope", to: "us-west-2" },
                    { from: "us-west-2", to: "us-east-1" },
                ],
            },
            outlierDetection: { host: "*.local", consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 100 },
            clusterLocalHosts: [],
        });
    });

    test("an existing cluster without a region adds no region; one region means no failover", () => {
        expect(parseMeshConfig(multiPrimaryMultiNetwork()).traffic.localityLoadBalancing.failover).toEqual([
            { from: "us-east-1", to: "westeurope" },
            { from: "westeurope", to: "us-east-1" },
        ]);
        const admins = [DEPLOYER_ROLE_ARN];
        const oneRegion = {
            meshId: "m",
            clusters: [
                { name: "a", provider: "aws", region: "us-east-1", network: "n", aws: { vpcCidr: "10.1.0.0/16", adminPrincipalArns: admins } },
                { name: "b", provider: "aws", region: "us-east-1", network: "n", aws: { vpcCidr: "10.2.0.0/16", adminPrincipalArns: admins } },
            ],
        };
        expect(parseMeshConfig(oneRegion).traffic.localityLoadBalancing.failover).toEqual([]);
    });

    test("each part can be given or turned off", () => {
        const failover = [
            { from: "us-east-1", to: "us-west-2" },
            { from: "us-west-2", to: "us-east-1" },
            { from: "westeurope", to: "us-east-1" },
        ];
        const t = parseMeshConfig(
            withTraffic({
                dnsProxy: { capture: false, autoAllocate: false },
                localityLoadBalancing: { failover },
                outlierDetection: { enabled: false },
                clusterLocalHosts: ["*.batch.svc.cluster.local", "cache.shared.svc.cluster.local"],
            }),
        ).traffic;
        expect(t).toEqual({
            dnsProxy: { capture: false, autoAllocate: false },
            localityLoadBalancing: { enabled: true, failover, failoverFrom: "config" },
            clusterLocalHosts: ["*.batch.svc.cluster.local", "cache.shared.svc.cluster.local"],
        });
        expect(parseMeshConfig(withTraffic({ localityLoadBalancing: { enabled: false } })).traffic.localityLoadBalancing).toEqual({ enabled: false, failover: [], failoverFrom: "regions" });
        expect(parseMeshConfig(withTraffic({ localityLoadBalancing: { failover: [] } })).traffic.localityLoadBalancing).toEqual({ enabled: true, failover: [], failoverFrom: "config" });
    });

    test("every problem at once, each naming its key: what Istio refuses or ignores in failover, bad hosts and durations", () => {
        expect(
            configProblems(
                withTraffic({
                    localityLoadBalancing: {
                        failover: [
                            { from: "us-east-1", to: "us-east-1" },
                            { from: "us-east-1", to: "us-west-2" },
                            { from: "westeurope", to: "eu-central-1" },
                        ],
                    },
                    outlierDetection: { interval: "ten seconds", maxEjectionPercent: 120 },
                    clusterLocalHosts: ["Not A Host"],
                    dns: true,
                }),
            ).sort(),
        ).toEqual(
            [
                "mesh:traffic.outlierDetection.interval: must be a duration like 500ms, 10s or 1m",
                "mesh:traffic.outlierDetection.maxEjectionPercent: Too big: expected number to be <=100",
                "mesh:traffic.clusterLocalHosts[0]: must be a host name, or a wildcard like *.local or *.payments.svc.cluster.local",
                "mesh:traffic.dns: unknown key",
            ].sort(),
        );
        expect(
            configProblems(
                withTraffic({ localityLoadBalancing: { failover: [...BAD_FAILOVER, { from: "us-west-2/us-west-2a", to: "*" }] } }),
            ),
        ).toEqual([
            'mesh:traffic.localityLoadBalancing.failover[3].from: must be a region name (no \'/\', \'*\' or spaces: Istio\'s failover names regions only)',
            'mesh:traffic.localityLoadBalancing.failover[3].to: must be a region name (no \'/\', \'*\' or spaces: Istio\'s failover names regions only)',
        ]);
        expect(
            configProblems(
                withTraffic({ localityLoadBalancing: { failover: BAD_FAILOVER } }),
            ),
        ).toEqual([
            'mesh:traffic.localityLoadBalancing.failover[0]: from and to are both "us-east-1"; Istio refuses failover to the same region',
            'mesh:traffic.localityLoadBalancing.failover[1].from: "us-east-1" is already failover[0].from; Istio uses only the first entry of a region',
            'mesh:traffic.localityLoadBalancing.failover[2].to: "eu-central-1" is not the region of any cluster in mesh:clusters (us-east-1, westeurope, us-west-2)',
        ]);
        expect(configProblems(withTraffic({ localityLoadBalancing: { enabled: false, failover: [{ from: "us-east-1", to: "us-west-2" }] } }))).toEqual([
            "mesh:traffic.localityLoadBalancing.failover: needs enabled: true (Istio ignores failover with locality load balancing off)",
        ]);
    });

    test("regions are checked only when every cluster names one (an existing cluster may not)", () => {
        expect(configProblems(withTraffic({ localityLoadBalancing: { failover: [{ from: "dc-1", to: "us-east-1" }] } }, multiPrimaryMultiNetwork()))).toEqual([]);
    });

    test("values in mesh:istio.values that mesh:traffic sets are refused, naming the key; serviceSettings only when clusterLocalHosts are given", () => {
        const values = {
            istiod: {
                meshConfig: { accessLogFile: "/dev/stdout", localityLbSetting: { enabled: false }, defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: "false", OTHER: "1" } }, serviceSettings: [] },
                pilot: { env: { PILOT_ENABLE_IP_AUTOALLOCATE: "false" } },
            },
        };
        expect(configProblems({ ...twoPrimariesAndRemote(), istio: { values } })).toEqual([
            "mesh:istio.values.istiod.meshConfig.localityLbSetting.enabled: the program sets meshConfig.localityLbSetting from mesh:traffic.localityLoadBalancing; set it there (the program's value would override this one)",
            "mesh:istio.values.istiod.meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE: the program sets meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE from mesh:traffic.dnsProxy.capture; set it there (the program's value would override this one)",
            "mesh:istio.values.istiod.env.PILOT_ENABLE_IP_AUTOALLOCATE: the program sets env.PILOT_ENABLE_IP_AUTOALLOCATE from mesh:traffic.dnsProxy.autoAllocate; set it there (the program's value would override this one)",
        ]);
        expect(configProblems({ ...twoPrimariesAndRemote(), istio: { values }, traffic: { clusterLocalHosts: ["*.batch.svc.cluster.local"] } })).toContain(
            "mesh:istio.values.istiod.meshConfig.serviceSettings: the program sets meshConfig.serviceSettings from mesh:traffic.clusterLocalHosts; set it there (the program's value would override this one)",
        );
    });

    test("the list of values the program owns covers every value it sets from mesh:availability and mesh:traffic", () => {
        const config = parseMeshConfig(withTraffic({ clusterLocalHosts: ["*.batch.svc.cluster.local"] }));
        const p = planMesh(config).clusters[0];
        const owned = (chart: "istiod" | "gateway", path: string) => OWNED_VALUES.some((o) => o.chart === chart && (path === o.path || path.startsWith(`${o.path}.`)));
        // What these two parts add: the values with and without them, compared.
        const bare = { ...config, istio: { ...config.istio, values: { base: {}, istiod: {}, gateway: {} } } };
        for (const version of ["1.30.3", "1.24.6"]) {
            const mesh = { ...bare, istio: { ...bare.istio, version } };
            const all = valuePaths(istiodValues(mesh, p) as Record<string, unknown>, "istiod");
            const identity = ["global.hub", "global.tag", "global.meshID", "global.network", "global.multiCluster.clusterName", "global.externalIstiod", "meshConfig.trustDomain"];
            expect([version, all.filter((x) => !identity.includes(x) && !owned("istiod", x))]).toEqual([version, []]);
        }
        const gateway = valuePaths(eastWestGatewayValues(bare, p) as Record<string, unknown>, "gateway");
        expect(gateway.filter((x) => !owned("gateway", x)).sort()).toEqual(["labels.app", "labels.istio", "name", "networkGateway", "service.type"]);
    });
});

test("a mesh:policy DestinationRule named default, or for the outlier-detection host, is refused while that rule is on", () => {
    const dr = (name: string, host: string) => ({ apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name }, spec: { host } });
    const withPolicy = (resources: unknown[], traffic: unknown = {}) => ({ ...twoPrimariesAndRemote(), traffic, policy: { resources } });
    expect(configProblems(withPolicy([dr("default", "a.b.svc.cluster.local"), dr("wide", "*.local")]))).toEqual([
        'mesh:policy.resources[0]: a DestinationRule named "default" clashes with the mesh-wide outlier-detection rule (mesh:traffic.outlierDetection); set its settings there, or turn it off with { enabled: false }',
        'mesh:policy.resources[1]: a DestinationRule for host "*.local" clashes with the mesh-wide outlier-detection rule (mesh:traffic.outlierDetection); set its settings there, or turn it off with { enabled: false }',
    ]);
    expect(configProblems(withPolicy([dr("wide", "*.local")], { outlierDetection: { enabled: false } }))).toEqual([]);
    expect(configProblems(withPolicy([dr("db", "db.data.svc.cluster.local")]))).toEqual([]);
});

describe("istiod's mesh config and environment", () => {
    test("Istio 1.25 and later: istiod allocates addresses (PILOT_ENABLE_IP_AUTOALLOCATE), proxies only capture DNS", () => {
        const t = parseMeshConfig(withTraffic({ clusterLocalHosts: ["*.batch.svc.cluster.local"] })).traffic;
        expect(trafficMeshConfig(t, "1.30.3")).toEqual({
            defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: "true" } },
            localityLbSetting: {
                enabled: true,
                failover: [
                    { from: "us-east-1", to: "westeurope" },
                    { from: "westeurope", to: "us-west-2" },
                    { from: "us-west-2", to: "us-east-1" },
                ],
            },
            serviceSettings: [{ settings: { clusterLocal: true }, hosts: ["*.batch.svc.cluster.local"] }],
        });
        expect(trafficIstiodEnv(t, "1.30.3")).toEqual({ PILOT_ENABLE_IP_AUTOALLOCATE: "true" });
        expect(trafficIstiodEnv(t, "1.31.0-dev.eed52ebb66ad")).toEqual({ PILOT_ENABLE_IP_AUTOALLOCATE: "true" });
    });

    test("before 1.25: the proxies' own allocation (ISTIO_META_DNS_AUTO_ALLOCATE), nothing on istiod", () => {
        const t = parseMeshConfig(twoPrimariesAndRemote()).traffic;
        expect((trafficMeshConfig(t, "1.24.6").defaultConfig as any).proxyMetadata).toEqual({ ISTIO_META_DNS_CAPTURE: "true", ISTIO_META_DNS_AUTO_ALLOCATE: "true" });
        expect(trafficIstiodEnv(t, "1.24.6")).toEqual({});
    });

    test("turned off: explicit false values, locality load balancing off without failover, no serviceSettings", () => {
        const t = parseMeshConfig(withTraffic({ dnsProxy: { capture: false, autoAllocate: false }, localityLoadBalancing: { enabled: false } })).traffic;
        expect(trafficMeshConfig(t, "1.30.3")).toEqual({ defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: "false" } }, localityLbSetting: { enabled: false } });
        expect(trafficIstiodEnv(t, "1.30.3")).toEqual({ PILOT_ENABLE_IP_AUTOALLOCATE: "false" });
    });

    test("primaries carry it beside the trust domain and, during a root rotation, the XDS agent; remotes have no mesh config of their own", () => {
        const config = parseMeshConfig(twoPrimariesAndRemote());
        for (const p of planMesh(config).clusters) {
            const v = istiodValues(config, p, p.isPrimary ? { multiRoot: true } : { primary: { address: "198.51.100.1", trustBundlePem: "ROOT" } }) as any;
            if (!p.isPrimary) {
                expect(v.meshConfig).toEqual({ trustDomain: "cluster.local" });
                continue;
            }
            expect(v.meshConfig.defaultConfig.proxyMetadata).toEqual({ ISTIO_META_DNS_CAPTURE: "true", PROXY_CONFIG_XDS_AGENT: "true" });
            expect(v.meshConfig.trustDomain).toBe("cluster.local");
            expect(v.meshConfig.localityLbSetting.enabled).toBe(true);
            expect(v.pilot.env.PILOT_ENABLE_IP_AUTOALLOCATE).toBe("true");
        }
    });
});

describe("the mesh-wide DestinationRule", () => {
    test("outlier detection for *.local, no TLS settings (auto mTLS stays), none when turned off", () => {
        expect(defaultDestinationRuleSpec(parseMeshConfig(twoPrimariesAndRemote()).traffic)).toEqual({
            host: "*.local",
            trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 100 } },
        });
        expect(defaultDestinationRuleSpec(parseMeshConfig(withTraffic({ outlierDetection: { host: "*.svc.cluster.local", consecutiveGatewayErrors: 3, interval: "5s" } })).traffic)).toEqual({
            host: "*.svc.cluster.local",
            trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, interval: "5s", baseEjectionTime: "30s", maxEjectionPercent: 100 } },
        });
        expect(defaultDestinationRuleSpec(parseMeshConfig(withTraffic({ outlierDetection: { enabled: false } })).traffic)).toBeUndefined();
    });

    test("on every primary, in istio-system, after its istiod and the CRDs (so it goes first on destroy); none on remotes", async () => {
        const { mocks } = await runMesh(parseMeshConfig(twoPrimariesAndRemote()));
        const rules = mocks.ofType(DR);
        expect(rules.map((r) => r.name).sort()).toEqual(["mesh-aws-east-istio-default-destination-rule", "mesh-azure-west-istio-default-destination-rule"]);
        for (const r of rules) {
            const cluster = r.name.replace(/^mesh-/, "").replace(/-istio-default-destination-rule$/, "");
            expect(r.inputs.metadata).toEqual({ name: "default", namespace: "istio-system" });
            expect(r.provider).toMatch(new RegExp(`::mesh-${cluster}-k8s::`));
            expect(r.dependsOn).toEqual(expect.arrayContaining([`mesh-${cluster}-istio-istiod`, `mesh-${cluster}-istio-base`]));
            expect(r.parent).toBe(`mesh-${cluster}-istio`);
        }
        expect(rules[0].inputs.spec).toEqual(rules[1].inputs.spec);
    });

    test("turned off: no DestinationRule anywhere", async () => {
        const { mocks } = await runMesh(parseMeshConfig(withTraffic({ outlierDetection: { enabled: false } })));
        expect(mocks.ofType(DR)).toEqual([]);
    });
});

// ---------------------------------------------------------------- properties

const region = fc.constantFrom("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-south-1", "westeurope", "northeurope", "eastus");

test("derived failover: one entry per region of the mesh, never to itself, only regions of the mesh, and every region is some region's target", () => {
    fc.assert(
        fc.property(fc.array(fc.option(region, { nil: undefined }), { maxLength: 12 }), (regions) => {
            const clusters = regions.map((r) => ({ region: r }));
            const mesh = meshRegions(clusters);
            const failover = deriveFailover(mesh);
            expect(new Set(mesh)).toEqual(new Set(regions.filter((r) => r !== undefined)));
            if (mesh.length < 2) {
                expect(failover).toEqual([]);
                return;
            }
            expect(failover.map((f) => f.from)).toEqual(mesh);
            for (const f of failover) {
                expect(f.from).not.toBe(f.to);
                expect(mesh).toContain(f.to);
            }
            // A cycle: no region is left without a way in.
            expect(new Set(failover.map((f) => f.to))).toEqual(new Set(mesh));
        }),
    );
});

/** Random valid meshes over aws and azure regions: 1–6 clusters, remotes served by primaries. */
const rawMesh = fc
    .array(fc.record({ aws: fc.boolean(), region: fc.nat(3), remote: fc.boolean(), primary: fc.nat(), network: fc.nat(2) }), { minLength: 1, maxLength: 6 })
    .map((seed) => {
        const awsRegions = ["us-east-1", "us-west-2", "eu-west-1", "ap-south-1"];
        const azureRegions = ["westeurope", "northeurope", "eastus", "japaneast"];
        const primaries = seed.map((s, i) => i === 0 || !s.remote);
        const primaryIdx = primaries.flatMap((p, i) => (p ? [i] : []));
        return {
            meshId: "m",
            clusters: seed.map((s, i) => ({
                name: `c${i}`,
                provider: s.aws ? "aws" : "azure",
                region: (s.aws ? awsRegions : azureRegions)[s.region],
                network: `n${s.network}`,
                ...(primaries[i] ? {} : { role: "remote", primary: `c${primaryIdx[s.primary % primaryIdx.length]}` }),
                ...(s.aws ? { aws: { vpcCidr: `10.${i}.0.0/16`, adminPrincipalArns: [DEPLOYER_ROLE_ARN] } } : { azure: { vnetCidr: `10.${i}.0.0/16`, serviceCidr: `10.${100 + i}.0.0/16` } }),
            })),
        };
    });

test("every primary's istiod gets the same traffic defaults and HA values, which name only the mesh's regions", () => {
    fc.assert(
        fc.property(rawMesh, (raw) => {
            const config = parseMeshConfig(raw);
            const regions = new Set(raw.clusters.map((c) => c.region));
            const primaries = planMesh(config).clusters.filter((p) => p.isPrimary);
            const shared = (v: any) => ({ meshConfig: { ...v.meshConfig }, env: v.pilot?.env?.PILOT_ENABLE_IP_AUTOALLOCATE, spread: v.topologySpreadConstraints, pdb: v.pdb, min: v.autoscaleMin });
            const first = shared(istiodValues(config, primaries[0], { gatewayAddress: "203.0.113.1" }));
            for (const p of primaries) expect(shared(istiodValues(config, p, { gatewayAddress: "203.0.113.1" }))).toEqual(first);
            for (const f of first.meshConfig.localityLbSetting.failover ?? []) {
                expect(regions.has(f.from) && regions.has(f.to) && f.from !== f.to).toBe(true);
            }
            expect(first.spread.every((c: any) => JSON.stringify(c.labelSelector.matchLabels) === JSON.stringify(ISTIOD_POD_LABELS))).toBe(true);
        }),
    );
});

test("the program puts exactly the same outlier-detection default on every primary, and none elsewhere", async () => {
    await fc.assert(
        fc.asyncProperty(rawMesh, async (raw) => {
            const config = parseMeshConfig(raw);
            const { mocks } = await runMesh(config);
            const rules = mocks.ofType(DR);
            const primaries = config.clusters.filter((c) => c.role === "primary").map((c) => `mesh-${c.name}-istio-default-destination-rule`);
            expect(rules.map((r) => r.name).sort()).toEqual(primaries.sort());
            for (const r of rules) expect(r.inputs.spec).toEqual(defaultDestinationRuleSpec(config.traffic));
        }),
        { numRuns: 4 },
    );
});
