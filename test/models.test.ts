/**
 * Deployment models: multi-primary, primary-remote and their mixes come from mesh:clusters alone;
 * config that would build another model (the external control plane, revisions, a primary turned
 * remote through Helm values) is refused with its key (stacks/models.ts, README: Deployment models).
 */
import { parseMeshConfig } from "../stacks/config";
import { planMesh } from "../stacks/topology";
import { multiPrimaryMultiNetwork, primaryRemoteSingleNetwork, twoPrimariesAndRemote } from "./support/topologies";
import { configProblems } from "./support/config";

const withIstio = (istio: Record<string, unknown>) => ({ ...twoPrimariesAndRemote(), istio });

test.each([
    ["multi-primary, multi-network", multiPrimaryMultiNetwork, { primaries: 3, remotes: 0, networks: 3 }],
    ["primary-remote, one network", primaryRemoteSingleNetwork, { primaries: 1, remotes: 1, networks: 1 }],
    ["two primaries and a remote, three networks", twoPrimariesAndRemote, { primaries: 2, remotes: 1, networks: 3 }],
])("the documented models are expressed by mesh:clusters alone: %s", (_name, topology, shape) => {
    const plan = planMesh(parseMeshConfig(topology()));
    expect({
        primaries: plan.clusters.filter((c) => c.isPrimary).length,
        remotes: plan.clusters.filter((c) => !c.isPrimary).length,
        networks: Object.keys(plan.networks).length,
    }).toEqual(shape);
    // A remote always has a primary with an east-west gateway that exposes istiod.
    for (const r of plan.clusters.filter((c) => !c.isPrimary)) expect(plan.clusters.find((c) => c.cluster.name === r.controlPlane)).toMatchObject({ isPrimary: true, eastWestGateway: true, exposeIstiod: true });
});

test("the external control plane model is no role; the error says where to read why", () => {
    const raw = twoPrimariesAndRemote() as { clusters: Record<string, unknown>[] };
    raw.clusters[2] = { ...raw.clusters[2], role: "external" };
    expect(configProblems(raw)).toContainEqual(expect.stringMatching(/^mesh:clusters\[2\]\.role: must be primary or remote \(the external control plane model is not supported: README, Deployment models\)$/));
});

test("Istio older than 1.24 is refused (no remote profile in the istiod chart, no v1 APIs)", () => {
    expect(configProblems(withIstio({ version: "1.23.6" }))).toEqual([expect.stringMatching(/^mesh:istio\.version: 1\.23\.6 is older than 1\.24: remotes need the istiod chart's remote profile/)]);
    expect(configProblems(withIstio({ version: "1.24.0" }))).toEqual([]);
    expect(configProblems(withIstio({ version: "2.0.0" }))).toEqual([]);
});

test.each([
    ["istiod", { profile: "remote" }, "profile", /the role of each cluster \(mesh:clusters\[\]\.role\) selects the chart profile/],
    ["istiod", { revision: "canary" }, "revision", /revisions \(canary upgrades\) are not supported/],
    ["istiod", { global: { externalIstiod: true } }, "global.externalIstiod", /on exactly the primaries that serve remotes/],
    ["istiod", { global: { configCluster: true } }, "global.configCluster", /the external control plane model is not supported/],
    ["istiod", { global: { remotePilotAddress: "10.0.0.1" } }, "global.remotePilotAddress", /its primary's east-west gateway/],
    ["istiod", { global: { multiCluster: { clusterName: "x" } } }, "global.multiCluster.clusterName", /mesh:clusters\[\]\.name/],
    ["istiod", { global: { network: "x" } }, "global.network", /mesh:clusters\[\]\.network/],
    ["istiod", { global: { meshID: "x" } }, "global.meshID", /mesh:meshId/],
    ["istiod", { istiodRemote: { enabled: true } }, "istiodRemote", /follow its primary/],
    ["istiod", { pilot: { env: { EXTERNAL_ISTIOD: "true" } } }, "pilot.env.EXTERNAL_ISTIOD", /external control plane model is not supported/],
    ["istiod", { meshConfig: { rootNamespace: "mesh-config" } }, "meshConfig.rootNamespace", /must stay Istio's root namespace/],
    ["base", { profile: "remote" }, "profile", /selects the chart profile/],
    ["base", { base: { validationURL: "https://x" } }, "base.validationURL", /follows its primary/],
    ["gateway", { networkGateway: "other" }, "networkGateway", /serves its cluster's network/],
])("mesh:istio.values.%s: %p is the program's (%s)", (chart, values, path, why) => {
    const found = configProblems(withIstio({ values: { [chart]: values } }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^mesh:istio\\.values\\.${chart}\\.${path.replace(/\./g, "\\.")}: set by the program, not by values: `));
    expect(found[0]).toMatch(why);
});

test("values that tune the charts stay allowed", () => {
    expect(configProblems(withIstio({ values: { istiod: { nodeSelector: { pool: "system" }, meshConfig: { accessLogFile: "/dev/stdout" }, pilot: { env: { PILOT_TRACE_SAMPLING: "1" } }, global: { proxy: { resources: {} } } }, gateway: { podAnnotations: { team: "platform" } } } }))).toEqual([]);
});
