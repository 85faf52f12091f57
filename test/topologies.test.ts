/**
 * The resources each topology makes, pinned: names (and so URNs), Istio values and labels,
 * cacerts, gateways, remote secrets, providers and outputs.
 */
import { trafficMeshConfig } from "../components/istio/traffic";
import { parseMeshConfig } from "../stacks/config";
import * as YAML from "yaml";
import { MeshRun, promiseOf, isSecret, runMesh } from "./support/run";
import { providerName, Recorded, reveal, isSecretValue } from "./support/mocks";
import { multiPrimaryMultiNetwork, primaryRemoteSingleNetwork, twoPrimariesAndRemote } from "./support/topologies";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "kubernetes:core/v1:Secret";

function release(run: MeshRun, cluster: string, chart: string): Recorded {
    const name = chart === "gateway" ? `mesh-${cluster}-eastwest-release` : `mesh-${cluster}-istio-${chart}`;
    return run.mocks.named(name);
}
const remoteSecrets = (run: MeshRun) => run.mocks.ofType(SECRET).filter((r) => r.inputs.metadata?.labels?.["istio/multiCluster"] === "true");
const kube = (run: MeshRun) => run.mocks.resources.filter((r) => r.type.startsWith("kubernetes:"));

function commonChecks(topology: () => Record<string, unknown>) {
    let run: MeshRun;
    beforeAll(async () => {
        run = await runMesh(parseMeshConfig(topology()));
    });

    test("every Kubernetes resource names its own cluster's provider", () => {
        for (const r of kube(run)) {
            const cluster = r.name.replace(/^mesh-/, "").split(/-(istio|eastwest|observability)/)[0];
            expect([r.name, providerName(r.provider)]).toEqual([r.name, `mesh-${cluster}-k8s`]);
        }
    });

    test("every resource names an explicit provider (default providers are disabled)", () => {
        for (const r of run.mocks.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
            const pkg = r.type.split(":")[0];
            expect([r.name, r.provider]).toEqual([r.name, expect.stringMatching(new RegExp(`^urn:pulumi:.*pulumi:providers:${pkg}::`))]);
        }
        for (const c of run.mocks.calls) expect(c.token).not.toMatch(/^kubernetes:/);
    });

    test("istio-system carries the network label; cacerts exactly on primaries, before istiod", () => {
        const config = parseMeshConfig(topology());
        for (const c of config.clusters) {
            const ns = run.mocks.named(`mesh-${c.name}-istio-namespace`);
            expect(ns.inputs.metadata.name).toBe("istio-system");
            expect(ns.inputs.metadata.labels).toEqual({ "topology.istio.io/network": c.network });
            const cacerts = run.mocks.resources.filter((r) => r.name === `mesh-${c.name}-istio-cacerts`);
            expect(cacerts).toHaveLength(c.role === "primary" ? 1 : 0);
            if (c.role === "primary") {
                const s = cacerts[0].inputs;
                expect(s.metadata).toEqual({ name: "cacerts", namespace: "istio-system" });
                expect(isSecretValue(s.stringData)).toBe(true);
                const data = reveal(s.stringData);
                expect(Object.keys(data).sort()).toEqual(["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
                expect(data["ca-cert.pem"]).toContain(`mesh-pki-${c.name}-cert`);
                expect(data["ca-key.pem"]).toContain(`mesh-pki-${c.name}-key`);
                expect(data["root-cert.pem"]).toContain("mesh-pki-root-cert");
                expect(data["cert-chain.pem"]).toBe(data["ca-cert.pem"] + data["root-cert.pem"]);
            }
        }
    });

    test("the CAs: the root limits the chain to one CA level (pathlen:1), intermediates sign, with the cluster in the subject", () => {
        for (const c of parseMeshConfig(topology()).clusters.filter((x) => x.role === "primary")) {
            const csr = run.mocks.named(`mesh-pki-${c.name}-csr`).inputs;
            expect(csr.subject).toMatchObject({ commonName: "Intermediate CA", locality: c.name });
            expect(csr.dnsNames).toEqual(["istiod.istio-system.svc"]);
            const cert = run.mocks.named(`mesh-pki-${c.name}-cert`).inputs;
            expect(cert.isCaCertificate).toBe(true);
            // maxPathLength 0 would write no limit at all with the real provider (common_cert.go).
            expect(cert.maxPathLength).toBeUndefined();
            expect(cert.allowedUses).toEqual(expect.arrayContaining(["cert_signing", "digital_signature"]));
            expect(cert.caCertPem).toContain("mesh-pki-root-cert");
        }
        const root = run.mocks.named("mesh-pki-root-cert").inputs;
        expect(root).toMatchObject({ isCaCertificate: true, maxPathLength: 1 });
        expect(root.allowedUses).toContain("cert_signing");
        expect(run.mocks.ofType("tls:index/selfSignedCert:SelfSignedCert")).toHaveLength(1);
    });

    test("istiod: meshID, clusterName, network on every cluster; remote profile on remotes", async () => {
        const config = parseMeshConfig(topology());
        const root = await promiseOf(run.outputs.rootCertificatePem);
        for (const c of config.clusters) {
            const v = reveal(release(run, c.name, "istiod").inputs.values);
            expect(v.global).toMatchObject({ meshID: config.meshId, network: c.network, multiCluster: { clusterName: c.name } });
            // Primaries also carry the traffic defaults (test/traffic.test.ts); every istiod the JSON
            // access logs, mesh:observability's default (test/observability.test.ts).
            const logs = { accessLogFile: "/dev/stdout", accessLogEncoding: "JSON" };
            expect(v.meshConfig).toEqual(c.role === "remote" ? { trustDomain: config.trustDomain, ...logs } : { ...trafficMeshConfig(config.traffic, config.istio.version), trustDomain: config.trustDomain, ...logs });
            const base = reveal(release(run, c.name, "base").inputs);
            expect(base).toMatchObject({ name: "istio-base", namespace: "istio-system" });
            if (c.role === "remote") {
                expect(v.profile).toBe("remote");
                expect(base.values.profile).toBe("remote");
                expect(v.global).toMatchObject({ configCluster: true, remotePilotAddress: expect.any(String) });
                expect(v.istiodRemote.injectionPath).toBe(`/inject/cluster/${c.name}/net/${c.network}`);
                // The mesh root verifies istiod's serving chain; it is public, never a key.
                expect(v.istiodRemote.injectionCABundle).toBe(Buffer.from(root).toString("base64"));
                expect(base.values.base.validationCABundle).toBe(Buffer.from(root).toString("base64"));
            } else {
                expect(v.profile).toBeUndefined();
                expect(v.global.remotePilotAddress).toBeUndefined();
                const servesRemotes = config.clusters.some((r) => r.primary === c.name);
                expect(v.global.externalIstiod).toBe(servesRemotes ? true : undefined);
            }
        }
    });

    test("secrets never pass through Helm values", () => {
        for (const r of run.mocks.ofType(RELEASE)) {
            const text = JSON.stringify(reveal(r.inputs));
            expect(text).not.toMatch(/FAKE TEST KEY|token-of-|BEGIN CERTIFICATE/);
        }
    });

    test("mesh-wide STRICT mTLS on every primary", () => {
        for (const c of parseMeshConfig(topology()).clusters) {
            const pa = run.mocks.resources.filter((r) => r.name === `mesh-${c.name}-istio-mtls`);
            expect(pa).toHaveLength(c.role === "primary" ? 1 : 0);
            if (pa.length) {
                expect(pa[0].type).toBe("kubernetes:security.istio.io/v1:PeerAuthentication");
                expect(pa[0].inputs).toMatchObject({ metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "STRICT" } } });
            }
        }
    });

    test("remote secrets: every primary holds one for every other cluster, in istioctl's exact form", () => {
        const config = parseMeshConfig(topology());
        const primaries = config.clusters.filter((c) => c.role === "primary");
        const secrets = remoteSecrets(run);
        expect(secrets).toHaveLength(primaries.length * (config.clusters.length - 1));
        for (const p of primaries) {
            for (const other of config.clusters.filter((c) => c !== p)) {
                const s = run.mocks.named(`mesh-${p.name}-istio-remote-${other.name}`);
                expect(providerName(s.provider)).toBe(`mesh-${p.name}-k8s`);
                expect(s.inputs.metadata).toEqual({
                    name: `istio-remote-secret-${other.name}`,
                    namespace: "istio-system",
                    labels: { "istio/multiCluster": "true" },
                    annotations: { "networking.istio.io/cluster": other.name },
                });
                expect(isSecretValue(s.inputs.data)).toBe(true);
                const data = reveal(s.inputs.data);
                expect(Object.keys(data)).toEqual([other.name]);
                const kubeconfig = YAML.parse(Buffer.from(data[other.name], "base64").toString());
                expect(kubeconfig).toEqual({
                    apiVersion: "v1",
                    kind: "Config",
                    clusters: [{ name: other.name, cluster: { server: expect.stringMatching(/^https:\/\//), "certificate-authority-data": Buffer.from(`ca-of-${other.name}`).toString("base64") } }],
                    contexts: [{ name: other.name, context: { cluster: other.name, user: other.name } }],
                    "current-context": other.name,
                    preferences: {},
                    users: [{ name: other.name, user: { token: `token-of-${other.name}` } }],
                });
            }
        }
    });

    test("a reader token Secret in every watched cluster", () => {
        for (const c of parseMeshConfig(topology()).clusters) {
            const t = run.mocks.named(`mesh-${c.name}-istio-reader-token`);
            expect(t.inputs).toMatchObject({
                type: "kubernetes.io/service-account-token",
                metadata: { name: "istio-reader-service-account-istio-remote-secret-token", namespace: "istio-system", annotations: { "kubernetes.io/service-account.name": "istio-reader-service-account" } },
            });
        }
    });

    test("stack outputs: the contract, with only kubeconfigs secret", async () => {
        const config = parseMeshConfig(topology());
        const o = run.outputs;
        expect(o.meshId).toBe(config.meshId);
        expect(o.trustDomain).toBe(config.trustDomain);
        expect(await promiseOf(o.rootCertificatePem)).toContain("mesh-pki-root-cert");
        expect(await isSecret(o.rootCertificatePem)).toBe(false);
        expect(o.istio).toEqual({ version: config.istio.version, chartRepository: config.istio.chartRepository, readerTokenGeneration: config.remoteSecrets.tokenGeneration });
        const networks: Record<string, string[]> = {};
        for (const c of config.clusters) (networks[c.network] ??= []).push(c.name);
        expect(o.networks).toEqual(networks);
        expect(Object.keys(o.clusters)).toEqual(config.clusters.map((c) => c.name));
        for (const c of config.clusters) {
            const out = o.clusters[c.name];
            expect({ provider: out.provider, region: out.region, network: out.network, role: out.role, primary: out.primary }).toEqual({
                provider: c.provider,
                region: c.region,
                network: c.network,
                role: c.role,
                primary: c.primary,
            });
            // No admin credential reaches whoever reads the stack unless asked for (test/access.test.ts).
            expect(Object.keys(out).filter((k) => /kubeconfig/i.test(k))).toEqual([]);
            expect(await isSecret(out.apiServer)).toBe(false);
            expect(await promiseOf(out.apiServer)).toMatch(/^https:\/\//);
            if (out.eastWestGatewayAddress) expect(await isSecret(out.eastWestGatewayAddress)).toBe(false);
        }
    });
    return () => run;
}

describe("multi-primary, multi-network across aws, azure and existing", () => {
    const run = commonChecks(multiPrimaryMultiNetwork);

    test("the resources and their names", () => {
        const names = (type: string) => run().mocks.ofType(type).map((r) => r.name).sort();
        expect(names("mesh:cluster:EksCluster")).toEqual(["mesh-aws-east"]);
        expect(names("mesh:cluster:AksCluster")).toEqual(["mesh-azure-west"]);
        expect(names("mesh:cluster:ExistingCluster")).toEqual(["mesh-onprem"]);
        expect(names("pulumi:providers:kubernetes")).toEqual(["mesh-aws-east-k8s", "mesh-azure-west-k8s", "mesh-onprem-k8s"]);
        expect(names("pulumi:providers:aws")).toEqual(["mesh-aws-east-aws"]);
        expect(names("pulumi:providers:azure-native")).toEqual(["mesh-azure-west-azure"]);
        expect(names(RELEASE)).toEqual(
            [
                ...["aws-east", "azure-west", "onprem"].flatMap((c) => [`mesh-${c}-eastwest-release`, `mesh-${c}-istio-base`, `mesh-${c}-istio-istiod`, `mesh-${c}-observability-prometheus`]),
                "mesh-aws-east-observability-global-prometheus",
                "mesh-aws-east-observability-global-grafana",
            ].sort(),
        );
        expect(names("tls:index/locallySignedCert:LocallySignedCert")).toEqual(["mesh-pki-aws-east-cert", "mesh-pki-azure-west-cert", "mesh-pki-onprem-cert"]);
    });

    test("EKS: VPC in two zones, IAM, access entries for the admins, node group", () => {
        const m = run().mocks;
        expect(m.named("mesh-aws-east-vpc").inputs.cidrBlock).toBe("10.10.0.0/16");
        const subnets = m.ofType("aws:ec2/subnet:Subnet").map((s) => [s.name, s.inputs.cidrBlock, s.inputs.availabilityZone]);
        expect(subnets.sort()).toEqual([
            ["mesh-aws-east-private-0", "10.10.0.0/18", "zone-a"],
            ["mesh-aws-east-private-1", "10.10.64.0/18", "zone-b"],
            ["mesh-aws-east-public-0", "10.10.128.0/18", "zone-a"],
            ["mesh-aws-east-public-1", "10.10.192.0/18", "zone-b"],
        ]);
        const eks = m.named("mesh-aws-east-eks").inputs;
        expect(eks).toMatchObject({ name: "aws-east", version: "1.33", accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false } });
        expect(m.named("mesh-aws-east-admin-platform-deployer").inputs.principalArn).toBe("arn:aws:iam::123456789012:role/platform-deployer");
        expect(m.named("mesh-aws-east-admin-platform-deployer-admin").inputs).toMatchObject({ policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" } });
        expect(m.named("mesh-aws-east-nodes").inputs).toMatchObject({ clusterName: "aws-east", scalingConfig: { desiredSize: 3, minSize: 2, maxSize: 6 } });
        expect(m.named("mesh-aws-east-aws").inputs.region).toBe("us-east-1");
    });

    test("the east-west Service is ours, as the gateway chart renders it, with the NLB annotations on EKS", () => {
        const m = run().mocks;
        for (const [c, network] of [["aws-east", "net-aws"], ["azure-west", "net-azure"], ["onprem", "net-dc"]]) {
            const svc = m.named(`mesh-${c}-istio-eastwest-service`).inputs;
            expect(svc.metadata).toMatchObject({
                name: "istio-eastwestgateway",
                namespace: "istio-system",
                labels: { app: "istio-eastwestgateway", istio: "eastwestgateway", "topology.istio.io/network": network },
            });
            expect(svc.spec.type).toBe("LoadBalancer");
            expect(svc.spec.selector).toEqual({ app: "istio-eastwestgateway", istio: "eastwestgateway" });
            expect(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([
                ["status-port", 15021, 15021],
                ["tls", 15443, 15443],
                ["tls-istiod", 15012, 15012],
                ["tls-webhook", 15017, 15017],
            ]);
            // The chart must not make a second Service of the same name.
            expect(reveal(release(run(), c, "gateway").inputs.values).service).toEqual({ type: "None" });
        }
        expect(m.named("mesh-aws-east-istio-eastwest-service").inputs.metadata.annotations).toMatchObject({ "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" });
        expect(m.named("mesh-azure-west-istio-eastwest-service").inputs.metadata.annotations).toEqual({});
    });

    test("AKS: resource group, VNet, system pool with managed identity, admin credentials", () => {
        const m = run().mocks;
        const aks = m.named("mesh-azure-west-aks").inputs;
        expect(aks).toMatchObject({ resourceName: "azure-west", location: "westeurope", identity: { type: "SystemAssigned" }, disableLocalAccounts: false });
        expect(aks.agentPoolProfiles[0]).toMatchObject({ name: "system", mode: "System", enableAutoScaling: true });
        expect(m.named("mesh-azure-west-vnet").inputs.addressSpace.addressPrefixes).toEqual(["10.20.0.0/16"]);
        expect(m.calls.map((c) => c.token)).toContain("azure-native:containerservice:listManagedClusterAdminCredentials");
        expect(m.named("mesh-azure-west-azure").inputs.location).toBe("westeurope");
    });

    test("gateways: an east-west gateway and cross-network-gateway everywhere, no istiod exposure", () => {
        const m = run().mocks;
        for (const c of ["aws-east", "azure-west", "onprem"]) {
            const v = reveal(release(run(), c, "gateway").inputs);
            expect(v).toMatchObject({ name: "istio-eastwestgateway", namespace: "istio-system", values: { name: "istio-eastwestgateway", networkGateway: expect.stringMatching(/^net-/), labels: { istio: "eastwestgateway" } } });
            expect(m.named(`mesh-${c}-istio-cross-network-gateway`).inputs).toMatchObject({
                apiVersion: "networking.istio.io/v1",
                kind: "Gateway",
                metadata: { name: "cross-network-gateway", namespace: "istio-system" },
                spec: { selector: { istio: "eastwestgateway" }, servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }] },
            });
        }
        expect(m.resources.filter((r) => /istiod-(gateway|vs)$/.test(r.name))).toEqual([]);
    });

    test("the existing cluster's API address comes from its kubeconfig", async () => {
        expect(await promiseOf(run().outputs.clusters.onprem.apiServer)).toBe("https://onprem.example.internal:6443");
        expect(run().mocks.named("mesh-onprem-k8s").inputs).toMatchObject({ context: "onprem" });
    });
});

describe("primary-remote on one network", () => {
    const run = commonChecks(primaryRemoteSingleNetwork);

    test("a gateway only on the primary (to expose istiod), no cross-network gateway", () => {
        const m = run().mocks;
        expect(m.ofType(RELEASE).filter((r) => r.name.endsWith("eastwest-release")).map((r) => r.name)).toEqual(["mesh-aws-main-eastwest-release"]);
        expect(m.resources.filter((r) => r.name.includes("cross-network"))).toEqual([]);
        expect(m.named("mesh-aws-main-istio-istiod-gateway").inputs.spec.servers.map((s: any) => s.port.number)).toEqual([15012, 15017]);
        const vs = m.named("mesh-aws-main-istio-istiod-vs").inputs;
        expect(vs.spec.tls.map((t: any) => [t.match[0].port, t.route[0].destination.port.number])).toEqual([
            [15012, 15012],
            [15017, 443],
        ]);
        expect(vs.spec.tls[0].route[0].destination.host).toBe("istiod.istio-system.svc.cluster.local");
    });

    test("the remote points at its primary's gateway and is annotated with its control plane", () => {
        const m = run().mocks;
        expect(reveal(release(run(), "aws-satellite", "istiod").inputs.values).global.remotePilotAddress).toBe("aws-main-ew.elb.amazonaws.com");
        expect(m.named("mesh-aws-satellite-istio-namespace").inputs.metadata.annotations).toEqual({ "topology.istio.io/controlPlaneClusters": "aws-main" });
        expect(reveal(release(run(), "aws-main", "istiod").inputs.values).global.externalIstiod).toBe(true);
    });

    test("behind an NLB hostname the remote's webhooks call the primary's istiod by URL, and istiod's certificate names that host", () => {
        const host = "aws-main-ew.elb.amazonaws.com";
        const remote = reveal(release(run(), "aws-satellite", "istiod").inputs.values);
        expect(remote.istiodRemote).toMatchObject({ injectionURL: `https://${host}:15017/inject/cluster/aws-satellite/net/flat` });
        expect(remote.base.validationURL).toBe(`https://${host}:15017/validate`);
        expect(reveal(release(run(), "aws-satellite", "base").inputs.values).base.validationURL).toBe(`https://${host}:15017/validate`);
        expect(reveal(release(run(), "aws-main", "istiod").inputs.values).pilot.env).toEqual({ ISTIOD_CUSTOM_HOST: host, PILOT_ENABLE_IP_AUTOALLOCATE: "true" });
    });

    test("trust domain reaches istiod", () => {
        expect(reveal(release(run(), "aws-main", "istiod").inputs.values).meshConfig.trustDomain).toBe("edge.example.com");
    });
});

describe("two primaries plus a remote on three networks", () => {
    const run = commonChecks(twoPrimariesAndRemote);

    test("gateways on all three clusters; istiod exposed only where a remote is served", () => {
        const m = run().mocks;
        expect(m.ofType(RELEASE).filter((r) => r.name.endsWith("eastwest-release")).map((r) => r.name).sort()).toEqual([
            "mesh-aws-east-eastwest-release",
            "mesh-aws-west-eastwest-release",
            "mesh-azure-west-eastwest-release",
        ]);
        expect(m.resources.filter((r) => r.name.endsWith("istiod-gateway")).map((r) => r.name)).toEqual(["mesh-aws-east-istio-istiod-gateway"]);
        expect(m.resources.filter((r) => r.name.endsWith("cross-network-gateway")).map((r) => r.name).sort()).toEqual([
            "mesh-aws-east-istio-cross-network-gateway",
            "mesh-azure-west-istio-cross-network-gateway",
        ]);
        expect(remoteSecrets(run()).map((r) => r.name).sort()).toEqual([
            "mesh-aws-east-istio-remote-aws-west",
            "mesh-aws-east-istio-remote-azure-west",
            "mesh-azure-west-istio-remote-aws-east",
            "mesh-azure-west-istio-remote-aws-west",
        ]);
    });

    test("RSA keys when asked for", () => {
        for (const k of run().mocks.ofType("tls:index/privateKey:PrivateKey")) expect(k.inputs).toMatchObject({ algorithm: "RSA", rsaBits: 4096 });
    });
});

test("the root CA is protected unless protectRoot is false", async () => {
    const protectedRoot = (run: MeshRun) => [run.mocks.named("mesh-pki-root-key").protect, run.mocks.named("mesh-pki-root-cert").protect];
    expect(protectedRoot(await runMesh(parseMeshConfig(primaryRemoteSingleNetwork())))).toEqual([true, true]);
    expect(protectedRoot(await runMesh(parseMeshConfig({ ...primaryRemoteSingleNetwork(), pki: { protectRoot: false } })))).toEqual([false, false]);
});
