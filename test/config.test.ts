import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { DEFAULT_ISTIO_VERSION, parseMeshConfig } from "../stacks/config";
import { DEPLOYER_ROLE_ARN } from "./support/mocks";
import { writeKubeconfig } from "./support/run";
import { multiPrimaryMultiNetwork, twoPrimariesAndRemote } from "./support/topologies";
import { configProblems } from "./support/config";
import { scratchDir } from "./support/scratch";

const ADMINS = [DEPLOYER_ROLE_ARN];
/** A valid EKS cluster; `extra.aws` is merged over its settings. */
const aws = (name: string, extra: Record<string, any> = {}) => ({
    name,
    provider: "aws",
    region: "us-east-1",
    network: `net-${name}`,
    ...extra,
    aws: extra.aws === undefined && "aws" in extra ? undefined : { vpcCidr: `10.${name.length}.0.0/16`, adminPrincipalArns: ADMINS, ...extra.aws },
});
const valid = () => ({ meshId: "m", clusters: [aws("a"), aws("bb")] });

describe("valid configuration", () => {
    test("applies the documented defaults", () => {
        const c = parseMeshConfig({ meshId: "prod-mesh", clusters: [{ name: "one", provider: "aws", region: "us-east-1", network: "n1", aws: { adminPrincipalArns: ADMINS } }] });
        expect(c.trustDomain).toBe("cluster.local");
        expect(c.istio).toMatchObject({ version: DEFAULT_ISTIO_VERSION, chartRepository: "https://istio-release.storage.googleapis.com/charts", hub: "docker.io/istio" });
        expect(c.pki).toEqual({ organization: "prod-mesh", keyAlgorithm: "ECDSA", rootValidityDays: 3650, intermediateValidityDays: 730, protectRoot: true, intermediateGeneration: 1, rootGeneration: 1 });
        expect(c.clusters[0]).toMatchObject({ role: "primary", aws: { kubernetesVersion: "1.33", vpcCidr: "10.0.0.0/16", zones: 2, desiredSize: 3 } });
        expect(Number(DEFAULT_ISTIO_VERSION.split(".")[1])).toBeGreaterThanOrEqual(29);
    });

    test("the production stack file is valid", () => {
        const stack = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.prod.yaml"), "utf8")).config;
        const raw = Object.fromEntries(Object.entries(stack).map(([k, v]) => [k.replace(/^mesh:/, ""), v]));
        const c = parseMeshConfig(raw);
        expect(c.clusters.map((x) => [x.name, x.provider, x.region, x.role, x.primary])).toEqual([
            ["aws-east", "aws", "us-east-1", "primary", undefined],
            ["azure-west", "azure", "westeurope", "primary", undefined],
            ["aws-west", "aws", "us-west-2", "remote", "aws-east"],
        ]);
        expect(new Set(c.clusters.map((x) => x.network)).size).toBe(3);
        // The keys these rules added are shown there, with one restricted allowlist.
        for (const aws of [c.clusters[0].aws!, c.clusters[2].aws!]) {
            expect(aws.adminPrincipalArns.length).toBeGreaterThan(0);
            expect(aws.adminPrincipalArns).toContain(aws.deployerRoleArn);
        }
        expect(c.clusters[0].aws!.publicAccessCidrs).not.toContain("0.0.0.0/0");
    });

    test("explicit availability zones set the zone count", () => {
        const c = parseMeshConfig({ meshId: "m", clusters: [aws("a", { aws: { availabilityZones: ["us-east-1a", "us-east-1c", "us-east-1d"] } })] });
        expect(c.clusters[0].aws).toMatchObject({ zones: 3, availabilityZones: ["us-east-1a", "us-east-1c", "us-east-1d"] });
    });

    test("API allowlists: what the graph can complete is accepted", () => {
        const kubeconfig = writeKubeconfig({ o: "https://o.example.internal:6443" });
        const restricted = aws("a", { aws: { publicAccessCidrs: ["203.0.113.0/24"] } });
        // An existing watcher that names its egress.
        expect(configProblems({ meshId: "m", clusters: [restricted, { name: "o", provider: "existing", network: "n", existing: { kubeconfig, egressCidrs: ["198.18.0.0/24"] } }] })).toEqual([]);
        // An existing remote is watched, not a watcher: its egress does not matter.
        expect(configProblems({ meshId: "m", clusters: [restricted, { name: "o", provider: "existing", network: "n", role: "remote", primary: "a", existing: { kubeconfig } }] })).toEqual([]);
        // A private-only endpoint nobody else watches: a lone cluster, or a primary serving a remote.
        expect(configProblems({ meshId: "m", clusters: [aws("a", { aws: { endpointPublicAccess: false } })] })).toEqual([]);
        expect(configProblems({ meshId: "m", clusters: [aws("a", { aws: { endpointPublicAccess: false } }), aws("bb", { role: "remote", primary: "a" })] })).toEqual([]);
    });

    test("azure derives its node subnet and DNS service IP", () => {
        const c = parseMeshConfig({ meshId: "m", clusters: [{ name: "z", provider: "azure", region: "westeurope", network: "n", azure: { vnetCidr: "10.5.0.0/16", serviceCidr: "10.99.0.0/16" } }] });
        expect(c.clusters[0].azure).toMatchObject({ subnetCidr: "10.5.0.0/20", dnsServiceIp: "10.99.0.10" });
    });

    test("an existing cluster's kubeconfig is flattened to the chosen context", () => {
        const dir = scratchDir("kubeconfig-");
        fs.writeFileSync(path.join(dir, "ca.pem"), "PEM");
        const file = path.join(dir, "config");
        fs.writeFileSync(
            file,
            YAML.stringify({
                apiVersion: "v1",
                kind: "Config",
                "current-context": "a",
                clusters: [{ name: "ca", cluster: { server: "https://a:6443" } }, { name: "cb", cluster: { server: "https://b:6443", "certificate-authority": "ca.pem" } }],
                users: [{ name: "ua", user: { token: "x" } }, { name: "ub", user: { token: "y" } }],
                contexts: [{ name: "a", context: { cluster: "ca", user: "ua" } }, { name: "b", context: { cluster: "cb", user: "ub" } }],
            }),
        );
        const c = parseMeshConfig({ meshId: "m", clusters: [{ name: "x", provider: "existing", network: "n", existing: { kubeconfig: file, context: "b" } }] });
        const e = c.clusters[0].existing!;
        expect(e.apiServer).toBe("https://b:6443");
        const flat = YAML.parse(e.kubeconfigContent);
        expect(flat["current-context"]).toBe("b");
        expect(flat.contexts).toHaveLength(1);
        expect(flat.clusters).toEqual([{ name: "cb", cluster: { server: "https://b:6443", "certificate-authority-data": Buffer.from("PEM").toString("base64") } }]);
        expect(flat.users).toEqual([{ name: "ub", user: { token: "y" } }]);
    });

    test("apiServer overrides the kubeconfig's server", () => {
        const kubeconfig = writeKubeconfig({ k: "https://127.0.0.1:6443" });
        const c = parseMeshConfig({ meshId: "m", clusters: [{ name: "x", provider: "existing", network: "n", existing: { kubeconfig, apiServer: "https://10.0.0.1:6443" } }] });
        expect(c.clusters[0].existing!.apiServer).toBe("https://10.0.0.1:6443");
    });

    test("loopback API addresses are fine when every cluster is local", () => {
        const kubeconfig = writeKubeconfig({ k: "https://127.0.0.1:6443" });
        expect(configProblems({ meshId: "m", clusters: [{ name: "x", provider: "existing", network: "n", existing: { kubeconfig } }] })).toEqual([]);
    });

    test("clusters on different networks may reuse address ranges", () => {
        expect(configProblems({ meshId: "m", clusters: [aws("a", { aws: { vpcCidr: "10.0.0.0/16" } }), aws("b", { aws: { vpcCidr: "10.0.0.0/16" } })] })).toEqual([]);
    });

    test.each([multiPrimaryMultiNetwork, twoPrimariesAndRemote])("topology fixture %#", (t) => expect(configProblems(t())).toEqual([]));
});

describe("bad input is reported with its key, all at once", () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
        ["missing meshId", { clusters: [aws("a")] }, /^mesh:meshId: required/],
        ["malformed meshId", { meshId: "Prod_Mesh", clusters: [aws("a")] }, /^mesh:meshId: must be a DNS-1123 label/],
        ["no clusters", { meshId: "m" }, /^mesh:clusters: required/],
        ["empty clusters", { meshId: "m", clusters: [] }, /^mesh:clusters: required/],
        ["duplicate names", { meshId: "m", clusters: [aws("a"), aws("a", { network: "x", aws: { vpcCidr: "10.9.0.0/16" } })] }, /^mesh:clusters\[1\]\.name: "a" is already the name of mesh:clusters\[0\]/],
        ["malformed name", { meshId: "m", clusters: [aws("Bad_Name")] }, /^mesh:clusters\[0\]\.name: must be a DNS-1123 label/],
        ["unknown provider", { meshId: "m", clusters: [{ ...aws("a"), provider: "gcp", aws: undefined }] }, /^mesh:clusters\[0\]\.provider: must be one of aws, azure, existing/],
        ["aws without region", { meshId: "m", clusters: [{ ...aws("a"), region: undefined }] }, /^mesh:clusters\[0\]\.region: required for provider aws/],
        ["azure without region", { meshId: "m", clusters: [{ name: "z", provider: "azure", network: "n" }] }, /^mesh:clusters\[0\]\.region: required for provider azure/],
        ["remote without primary", { meshId: "m", clusters: [aws("a"), aws("b", { role: "remote" })] }, /^mesh:clusters\[1\]\.primary: required when role is remote/],
        ["remote with unknown primary", { meshId: "m", clusters: [aws("a"), aws("b", { role: "remote", primary: "nope" })] }, /^mesh:clusters\[1\]\.primary: "nope" is not the name of a cluster/],
        ["remote with a remote as primary", { meshId: "m", clusters: [aws("a"), aws("b", { role: "remote", primary: "a" }), aws("ccc", { role: "remote", primary: "b" })] }, /^mesh:clusters\[2\]\.primary: "b" is a remote/],
        ["primary set on a primary", { meshId: "m", clusters: [aws("a"), aws("b", { primary: "a" })] }, /^mesh:clusters\[1\]\.primary: only allowed when role is remote/],
        ["no primary at all", { meshId: "m", clusters: [aws("a", { role: "remote", primary: "b" }), aws("b", { role: "remote", primary: "a" })] }, /^mesh:clusters: no cluster has role primary/],
        ["missing network", { meshId: "m", clusters: [{ ...aws("a"), network: undefined }] }, /^mesh:clusters\[0\]\.network: required/],
        ["kubeconfig file missing", { meshId: "m", clusters: [{ name: "x", provider: "existing", network: "n", existing: { kubeconfig: "/nonexistent/kubeconfig" } }] }, /^mesh:clusters\[0\]\.existing: kubeconfig file \/nonexistent\/kubeconfig does not exist/],
        ["kubeconfig context missing", { meshId: "m", clusters: [{ name: "x", provider: "existing", network: "n", existing: { kubeconfig: writeKubeconfig({ a: "https://a" }), context: "zzz" } }] }, /^mesh:clusters\[0\]\.existing: context "zzz" does not exist/],
        ["existing without kubeconfig", { meshId: "m", clusters: [{ name: "x", provider: "existing", network: "n" }] }, /^mesh:clusters\[0\]\.existing: required for provider existing/],
        ["malformed CIDR", { meshId: "m", clusters: [aws("a", { aws: { vpcCidr: "10.0.0.1/16" } })] }, /^mesh:clusters\[0\]\.aws\.vpcCidr: must be an IPv4 CIDR/],
        ["overlapping CIDRs on one network", { meshId: "m", clusters: [aws("a", { network: "n", aws: { vpcCidr: "10.0.0.0/16" } }), aws("b", { network: "n", aws: { vpcCidr: "10.0.128.0/17" } })] }, /^mesh:clusters\[1\]\.aws\.vpcCidr: 10\.0\.128\.0\/17 overlaps mesh:clusters\[0\]\.aws\.vpcCidr/],
        ["overlap across clouds on one network", { meshId: "m", clusters: [aws("a", { network: "n", aws: { vpcCidr: "10.1.0.0/16" } }), { name: "z", provider: "azure", region: "westeurope", network: "n", azure: { vnetCidr: "10.1.0.0/16" } }] }, /^mesh:clusters\[1\]\.azure\.vnetCidr: .* overlaps mesh:clusters\[0\]\.aws\.vpcCidr/],
        ["unknown key algorithm", { ...valid(), pki: { keyAlgorithm: "DSA" } }, /^mesh:pki\.keyAlgorithm: must be ECDSA or RSA/],
        ["non-positive validity", { ...valid(), pki: { rootValidityDays: 0 } }, /^mesh:pki\.rootValidityDays: /],
        ["intermediate outliving the root", { ...valid(), pki: { rootValidityDays: 365, intermediateValidityDays: 400 } }, /^mesh:pki\.intermediateValidityDays: 400 days would outlive the root CA/],
        ["typo at top level", { ...valid(), meshID: "x" }, /^mesh:meshID: unknown key/],
        ["typo in a cluster", { meshId: "m", clusters: [aws("a", { netwrok: "x" })] }, /^mesh:clusters\[0\]\.netwrok: unknown key/],
        ["typo in provider settings", { meshId: "m", clusters: [aws("a", { aws: { vpcCdir: "10.0.0.0/16" } })] }, /^mesh:clusters\[0\]\.aws\.vpcCdir: unknown key/],
        ["typo in pki", { ...valid(), pki: { organisation: "x" } }, /^mesh:pki\.organisation: unknown key/],
        ["typo in istio", { ...valid(), istio: { versoin: "1.30.3" } }, /^mesh:istio\.versoin: unknown key/],
        ["settings for another provider", { meshId: "m", clusters: [aws("a", { azure: {} })] }, /^mesh:clusters\[0\]\.azure: only allowed when provider is azure/],
        ["bad role", { meshId: "m", clusters: [aws("a", { role: "secondary" })] }, /^mesh:clusters\[0\]\.role: must be primary or remote/],
        ["bad istio version", { ...valid(), istio: { version: "latest" } }, /^mesh:istio\.version: must be an Istio release/],
        ["chart directory without charts", { ...valid(), istio: { chartRepository: os.tmpdir() } }, /^mesh:istio\.chartRepository: .* lacks base, istiod, gateway/],
        ["node sizes out of order", { meshId: "m", clusters: [aws("a", { aws: { minSize: 5, desiredSize: 3, maxSize: 4 } })] }, /^mesh:clusters\[0\]\.aws: needs minSize ≤ desiredSize ≤ maxSize/],
        [
            "loopback API address in a mesh with cloud clusters",
            { meshId: "m", clusters: [aws("a"), { name: "kind", provider: "existing", network: "n", existing: { kubeconfig: writeKubeconfig({ k: "https://127.0.0.1:6443" }) } }] },
            /^mesh:clusters\[1\]\.existing\.apiServer: https:\/\/127\.0\.0\.1:6443 is a loopback address, which istiod in cluster "a" cannot reach/,
        ],
        ["malformed network", { meshId: "m", clusters: [aws("a", { network: "net work" })] }, /^mesh:clusters\[0\]\.network: must be a Kubernetes label value/],
        // EKS admins are explicit.
        ["EKS without admins", { meshId: "m", clusters: [aws("a", { aws: { adminPrincipalArns: undefined } })] }, /^mesh:clusters\[0\]\.aws\.adminPrincipalArns: required: list the IAM roles and users that administer this cluster/],
        ["EKS with an empty admin list", { meshId: "m", clusters: [aws("a", { aws: { adminPrincipalArns: [] } })] }, /^mesh:clusters\[0\]\.aws\.adminPrincipalArns: required/],
        ["an admin that is no IAM principal", { meshId: "m", clusters: [aws("a", { aws: { adminPrincipalArns: ["arn:aws:sts::123456789012:assumed-role/x/y"] } })] }, /^mesh:clusters\[0\]\.aws\.adminPrincipalArns\[0\]: must be an IAM role or user ARN/],
        ["an admin listed twice", { meshId: "m", clusters: [aws("a", { aws: { adminPrincipalArns: [...ADMINS, ...ADMINS] } })] }, /^mesh:clusters\[0\]\.aws\.adminPrincipalArns\[1\]: arn:aws:iam::123456789012:role\/platform-deployer is already adminPrincipalArns\[0\]$/],
        [
            "two admins that would share an access entry name",
            { meshId: "m", clusters: [aws("a", { aws: { adminPrincipalArns: ["arn:aws:iam::123456789012:role/team/Ops", "arn:aws:iam::210987654321:user/ops"] } })] },
            /^mesh:clusters\[0\]\.aws\.adminPrincipalArns\[1\]: arn:aws:iam::210987654321:user\/ops and adminPrincipalArns\[0\] \(arn:aws:iam::123456789012:role\/team\/Ops\) would both be access entry "admin-ops"/,
        ],
        [
            "a deployer role that is no admin",
            { meshId: "m", clusters: [aws("a", { aws: { deployerRoleArn: "arn:aws:iam::123456789012:role/other" } })] },
            /^mesh:clusters\[0\]\.aws\.deployerRoleArn: arn:aws:iam::123456789012:role\/other is not in mesh:clusters\[0\]\.aws\.adminPrincipalArns; Pulumi's Kubernetes provider acts as this role/,
        ],
        ["a deployer that is a user", { meshId: "m", clusters: [aws("a", { aws: { deployerRoleArn: "arn:aws:iam::123456789012:user/alice" } })] }, /^mesh:clusters\[0\]\.aws\.deployerRoleArn: must be an IAM role ARN/],
        // Allowlists that the graph could not complete.
        [
            "an existing watcher of a restricted EKS API, egress unknown",
            { meshId: "m", clusters: [aws("a", { aws: { publicAccessCidrs: ["203.0.113.0/24"] } }), { name: "o", provider: "existing", network: "n", existing: { kubeconfig: writeKubeconfig({ o: "https://o:6443" }) } }] },
            /^mesh:clusters\[1\]\.existing\.egressCidrs: required: istiod in "o" watches "a", whose API server admits only mesh:clusters\[0\]\.aws\.publicAccessCidrs; list the public CIDRs "o"'s outbound traffic leaves from/,
        ],
        [
            "an existing watcher of a restricted AKS API, egress unknown",
            { meshId: "m", clusters: [{ name: "z", provider: "azure", region: "westeurope", network: "nz", azure: { authorizedIpRanges: ["203.0.113.0/24"] } }, { name: "o", provider: "existing", network: "n", existing: { kubeconfig: writeKubeconfig({ o: "https://o:6443" }) } }] },
            /^mesh:clusters\[1\]\.existing\.egressCidrs: required: istiod in "o" watches "z", whose API server admits only mesh:clusters\[0\]\.azure\.authorizedIpRanges/,
        ],
        [
            "a private-only EKS endpoint that other istiods watch",
            { meshId: "m", clusters: [aws("a", { aws: { endpointPublicAccess: false } }), aws("bb")] },
            /^mesh:clusters\[0\]\.aws\.endpointPublicAccess: false, but istiod in "bb" watches this cluster's API server and cannot reach a private-only endpoint from another network/,
        ],
        ["a malformed egress CIDR", { meshId: "m", clusters: [{ name: "o", provider: "existing", network: "n", existing: { kubeconfig: writeKubeconfig({ o: "https://o:6443" }), egressCidrs: ["198.18.0.1/24"] } }] }, /^mesh:clusters\[0\]\.existing\.egressCidrs\[0\]: must be an IPv4 CIDR/],
        // Availability zones.
        ["zones and availabilityZones disagree", { meshId: "m", clusters: [aws("a", { aws: { zones: 3, availabilityZones: ["us-east-1a", "us-east-1b"] } })] }, /^mesh:clusters\[0\]\.aws\.zones: 3, but availabilityZones lists 2/],
        ["a zone of another region", { meshId: "m", clusters: [aws("a", { aws: { availabilityZones: ["us-east-1a", "us-west-2b"] } })] }, /^mesh:clusters\[0\]\.aws\.availabilityZones\[1\]: "us-west-2b" is not a zone of region us-east-1/],
        ["the region itself as a zone", { meshId: "m", clusters: [aws("a", { aws: { availabilityZones: ["us-east-1", "us-east-1b"] } })] }, /^mesh:clusters\[0\]\.aws\.availabilityZones\[0\]: "us-east-1" is not a zone of region us-east-1/],
        ["a zone twice", { meshId: "m", clusters: [aws("a", { aws: { availabilityZones: ["us-east-1a", "us-east-1a"] } })] }, /^mesh:clusters\[0\]\.aws\.availabilityZones\[1\]: "us-east-1a" is already availabilityZones\[0\]/],
        ["a single zone", { meshId: "m", clusters: [aws("a", { aws: { availabilityZones: ["us-east-1a"] } })] }, /^mesh:clusters\[0\]\.aws\.availabilityZones: list at least two zones; EKS needs subnets in two/],
    ];
    test.each(cases)("%s", (_name, raw, expected) => {
        const found = configProblems(raw);
        expect(found.some((p) => expected.test(p))).toBe(true);
        if (!found.some((p) => expected.test(p))) throw new Error(found.join("\n"));
    });

    test("every problem is reported in one error", () => {
        const found = configProblems({
            meshId: "Bad!",
            meshID: "typo",
            pki: { keyAlgorithm: "DSA", rootValidityDays: -1 },
            clusters: [
                { name: "a", provider: "aws", network: "n" },
                { name: "a", provider: "gcp", network: "n2" },
                { name: "r", provider: "aws", region: "us-east-1", network: "n3", role: "remote", primary: "ghost" },
            ],
        });
        expect(found).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^mesh:meshId:/),
                expect.stringMatching(/^mesh:meshID: unknown key/),
                expect.stringMatching(/^mesh:pki\.keyAlgorithm:/),
                expect.stringMatching(/^mesh:pki\.rootValidityDays:/),
                expect.stringMatching(/^mesh:clusters\[0\]\.region: required/),
                expect.stringMatching(/^mesh:clusters\[1\]\.provider:/),
                expect.stringMatching(/^mesh:clusters\[2\]\.primary: "ghost"/),
            ]),
        );
        expect(found.length).toBeGreaterThanOrEqual(7);
    });

    test("the error message lists every problem", () => {
        expect(() => parseMeshConfig({ clusters: [] })).toThrow(/invalid stack configuration \(2 problems\):\n  - mesh:meshId: required.*\n  - mesh:clusters: required/);
    });
});
