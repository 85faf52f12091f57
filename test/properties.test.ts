/** Invariants over random valid topologies (fast-check). */
import * as fc from "fast-check";
import { baseValues, eastWestGatewayValues, isChartIpAddress, istiodValues } from "../components/istio/values";
import { parseMeshConfig } from "../stacks/config";
import { planMesh } from "../stacks/topology";
import { runMesh } from "./support/run";
import { rawTopology } from "./support/topologies";

const rawMesh = rawTopology(6);

test("random valid topologies pass validation", () => {
    fc.assert(fc.property(rawMesh, (raw) => void parseMeshConfig(raw)));
});

test("remote secrets: every primary watches every other cluster, nothing else", () => {
    fc.assert(
        fc.property(rawMesh, (raw) => {
            const plan = planMesh(parseMeshConfig(raw));
            const primaries = plan.clusters.filter((c) => c.isPrimary);
            expect(plan.remoteSecrets).toHaveLength(primaries.length * (plan.clusters.length - 1));
            for (const s of plan.remoteSecrets) {
                expect(s.watcher).not.toBe(s.watched);
                expect(primaries.map((p) => p.cluster.name)).toContain(s.watcher);
            }
            for (const r of plan.clusters.filter((c) => !c.isPrimary)) {
                expect(plan.remoteSecrets).toContainEqual({ watcher: r.controlPlane, watched: r.cluster.name });
            }
        }),
    );
});

test("gateways exactly where Istio needs them", () => {
    fc.assert(
        fc.property(rawMesh, (raw) => {
            const plan = planMesh(parseMeshConfig(raw));
            const multiNetwork = new Set(raw.clusters.map((c) => c.network)).size > 1;
            for (const c of plan.clusters) {
                const servesRemotes = raw.clusters.some((r) => (r as { primary?: string }).primary === c.cluster.name);
                expect(c.eastWestGateway).toBe(multiNetwork || servesRemotes);
                expect(c.exposeIstiod).toBe(servesRemotes);
                expect(c.crossNetworkGateway).toBe(multiNetwork && c.isPrimary);
                if (!c.isPrimary) expect(plan.clusters.find((p) => p.cluster.name === c.controlPlane)!.eastWestGateway).toBe(true);
            }
        }),
    );
});

test("Istio values carry each cluster's identity", () => {
    fc.assert(
        fc.property(rawMesh, fc.constantFrom("cluster.local", "example.org"), (raw, trustDomain) => {
            const config = parseMeshConfig({ ...raw, trustDomain });
            for (const p of planMesh(config).clusters) {
                const v = istiodValues(config, p, p.isPrimary ? {} : { primary: { address: "198.51.100.1", trustBundlePem: "ROOT" } }) as any;
                expect(v.global.multiCluster.clusterName).toBe(p.cluster.name);
                expect(v.global.network).toBe(p.cluster.network);
                expect(v.global.meshID).toBe("m");
                expect(v.meshConfig.trustDomain).toBe(trustDomain);
                expect(v.profile).toBe(p.isPrimary ? undefined : "remote");
                expect((eastWestGatewayValues(config, p) as any).networkGateway).toBe(p.cluster.network);
            }
        }),
    );
});

// An IP or a DNS name, as clouds' load balancers report them.
const address = fc.oneof(
    fc.ipV4(),
    fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/), { minLength: 2, maxLength: 4 }).map((labels) => labels.join(".")),
);

test("a remote's webhooks reach its primary's istiod by address: IPs through Service istiod, hostnames by URL with istiod's certificate naming them", () => {
    fc.assert(
        fc.property(rawMesh, address, (raw, addr) => {
            const config = parseMeshConfig(raw);
            for (const p of planMesh(config).clusters) {
                if (p.isPrimary) {
                    const env = (istiodValues(config, p, { gatewayAddress: addr }) as any).pilot?.env ?? {};
                    expect(env.ISTIOD_CUSTOM_HOST).toBe(p.remotes.length > 0 ? addr : undefined);
                    continue;
                }
                const v = istiodValues(config, p, { primary: { address: addr, trustBundlePem: "ROOT" } }) as any;
                const base = (baseValues(config, p, { address: addr, trustBundlePem: "ROOT" }) as any).base;
                const path = `/inject/cluster/${p.cluster.name}/net/${p.cluster.network}`;
                expect(v.global.remotePilotAddress).toBe(addr);
                expect(v.istiodRemote.injectionPath).toBe(path);
                expect(v.istiodRemote.injectionCABundle).toBe(Buffer.from("ROOT").toString("base64"));
                expect(base.validationCABundle).toBe(Buffer.from("ROOT").toString("base64"));
                if (isChartIpAddress(addr)) {
                    expect([v.istiodRemote.injectionURL, v.base.validationURL, base.validationURL]).toEqual([undefined, undefined, undefined]);
                } else {
                    expect(v.istiodRemote.injectionURL).toBe(`https://${addr}:15017${path}`);
                    expect(v.base.validationURL).toBe(`https://${addr}:15017/validate`);
                    expect(base.validationURL).toBe(`https://${addr}:15017/validate`);
                }
            }
        }),
    );
});

test("the program makes unique names and one remote secret per planned pair", async () => {
    await fc.assert(
        fc.asyncProperty(rawMesh, async (raw) => {
            const config = parseMeshConfig(raw);
            const { mocks } = await runMesh(config);
            const names = mocks.resources.filter((r) => !r.id).map((r) => `${r.type}::${r.name}`);
            expect(new Set(names).size).toBe(names.length);
            const secrets = mocks.resources.filter((r) => r.inputs?.metadata?.labels?.["istio/multiCluster"] === "true");
            expect(secrets).toHaveLength(planMesh(config).remoteSecrets.length);
            for (const r of mocks.resources.filter((x) => x.type.startsWith("kubernetes:"))) expect(r.provider).toMatch(/pulumi:providers:kubernetes::mesh-c\d-k8s::/);
        }),
        { numRuns: 8 },
    );
    // Eight whole program runs under mocks: about 20 s on an idle machine, minutes on a loaded one.
}, 300_000);
