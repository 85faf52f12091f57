/**
 * The clusters' cloud resources, fix by fix: EKS admins come from the config and never from
 * whoever runs Pulumi; restricted API allowlists admit the istiods that watch them; EKS gets no
 * security groups that change nothing; subnets keep their availability zones.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { ambientAdminProblem } from "../components/clusters/eks";
import { parseMeshConfig } from "../stacks/config";
import { isPrincipalListed } from "../stacks/iam";
import { DEPLOYER_ROLE_ARN, MeshMocks, MockWorld, Recorded, setMeshMocks } from "./support/mocks";
import { minutesOf } from "./support/durations";
import { MeshRun, promiseOf, runMesh, runMeshInChild, writeKubeconfig } from "./support/run";

const ACCOUNT = "123456789012";
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const eks = (name: string, aws: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
    name,
    provider: "aws",
    region: "us-east-1",
    network: `net-${name}`,
    aws: { vpcCidr: "10.10.0.0/16", adminPrincipalArns: [DEPLOYER_ROLE_ARN], ...aws },
    ...extra,
});
const aks = (name: string, azure: Record<string, unknown> = {}) => ({ name, provider: "azure", region: "westeurope", network: `net-${name}`, azure: { vnetCidr: "10.20.0.0/16", ...azure } });
const onprem = (name: string, existing: Record<string, unknown> = {}) => ({
    name,
    provider: "existing",
    network: `net-${name}`,
    existing: { kubeconfig: writeKubeconfig({ [name]: `https://${name}.example.internal:6443` }), ...existing },
});
const mesh = (...clusters: Record<string, unknown>[]) => ({ meshId: "m", clusters });
const run = (raw: Record<string, unknown>, world?: MockWorld) => runMesh(parseMeshConfig(raw), { world });

const EKS_CLUSTER = "aws:eks/cluster:Cluster";
const ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry";
const ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation";
const SUBNET = "aws:ec2/subnet:Subnet";
const names = (rs: Recorded[]) => rs.map((r) => r.name).sort();

describe("EKS access entries follow adminPrincipalArns, never whoever runs pulumi up", () => {
    const admins = [DEPLOYER_ROLE_ARN, role("ops/Platform.Admins"), `arn:aws:iam::${ACCOUNT}:user/alice`];

    test("one entry and cluster-admin association per admin, named after the ARN; none for the caller", async () => {
        const m = (await run(mesh(eks("a", { adminPrincipalArns: admins })))).mocks;
        expect(m.ofType(ACCESS_ENTRY).map((r) => [r.name, r.inputs])).toEqual([
            ["mesh-a-admin-platform-deployer", { clusterName: "a", principalArn: DEPLOYER_ROLE_ARN, type: "STANDARD" }],
            ["mesh-a-admin-platform-admins", { clusterName: "a", principalArn: role("ops/Platform.Admins"), type: "STANDARD" }],
            ["mesh-a-admin-alice", { clusterName: "a", principalArn: `arn:aws:iam::${ACCOUNT}:user/alice`, type: "STANDARD" }],
        ]);
        expect(m.ofType(ACCESS_POLICY).map((r) => [r.name, r.inputs.principalArn, r.inputs.policyArn, r.inputs.accessScope])).toEqual(
            admins.map((arn, i) => [
                `mesh-a-admin-${["platform-deployer", "platform-admins", "alice"][i]}-admin`,
                arn,
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                { type: "cluster" },
            ]),
        );
        // Each association waits for its entry; the Kubernetes provider for every association.
        expect(m.named("mesh-a-admin-alice-admin").dependsOn).toContain("mesh-a-admin-alice");
        expect(m.named("mesh-a-k8s").dependsOn).toEqual(expect.arrayContaining(["mesh-a-nodes", ...names(m.ofType(ACCESS_POLICY))]));
        expect(m.resources.filter((r) => r.name.includes("deployer") && !r.name.includes("platform-deployer"))).toEqual([]);
        expect(m.calls.map((c) => c.token)).not.toContain("aws:iam/getSessionContext:getSessionContext");
    });

    test("a CI role and a person taking turns change no access entry", async () => {
        const entries = async (callerArn: string) => (await run(mesh(eks("a", { adminPrincipalArns: admins })), { callerArn })).mocks.resources.filter((r) => r.type === ACCESS_ENTRY || r.type === ACCESS_POLICY).map((r) => [r.name, r.inputs]);
        expect(await entries(`arn:aws:sts::${ACCOUNT}:assumed-role/platform-deployer/ci-run-7`)).toEqual(await entries(`arn:aws:iam::${ACCOUNT}:user/alice`));
    });

    test("without deployerRoleArn the caller is checked against the admins, and gates the control plane's name", async () => {
        const m = (await run(mesh(eks("a")))).mocks;
        expect(m.calls.filter((c) => c.token === "aws:index/getCallerIdentity:getCallerIdentity")).toHaveLength(1);
        expect(m.named("mesh-a-eks").inputs.name).toBe("a");
    });

    test("a caller who is not an admin fails preview before the EKS cluster exists, naming the key to edit", () => {
        const caller = `arn:aws:sts::${ACCOUNT}:assumed-role/someone-else/laptop`;
        const { resources, errors } = runMeshInChild(mesh(eks("a")), { preview: true, world: { callerArn: caller } });
        // No control plane, access entry or node group: nothing under aws:eks/.
        expect(resources.filter((r) => r.startsWith("aws:eks/"))).toEqual([]);
        expect(resources).not.toContain(`${EKS_CLUSTER}::mesh-a-eks`);
        expect(resources).toContain("aws:ec2/vpc:Vpc::mesh-a-vpc");
        expect(errors).toEqual([expect.stringContaining(ambientAdminProblem("a", caller))]);
        expect(ambientAdminProblem("a", caller)).toBe(
            `cluster "a": Pulumi runs as ${caller} (IAM role someone-else of account ${ACCOUNT}), which is not in aws.adminPrincipalArns, so it could not reach the cluster's API: ` +
                `add that role's ARN to aws.adminPrincipalArns of the mesh:clusters entry named "a", or set its aws.deployerRoleArn to one of those admins`,
        );
    }, 60000);

    test("deployerRoleArn: the kubeconfig assumes it, the caller is not consulted, its entry takes over the old `deployer` one", async () => {
        const deployer = role("mesh-deployer");
        const r = await run(mesh(eks("a", { adminPrincipalArns: [deployer, DEPLOYER_ROLE_ARN], deployerRoleArn: deployer })), { callerArn: `arn:aws:iam::${ACCOUNT}:user/not-an-admin` });
        const m = r.mocks;
        expect(m.calls.map((c) => c.token)).not.toContain("aws:index/getCallerIdentity:getCallerIdentity");
        const kubeconfig = YAML.parse(await promiseOf(r.mesh.clusters.get("a")!.handle.kubeconfig));
        expect(kubeconfig.users[0].user.exec.args).toEqual(["eks", "get-token", "--cluster-name", "a", "--region", "us-east-1", "--role-arn", deployer, "--output", "json"]);
        expect(m.named("mesh-a-admin-mesh-deployer").aliases).toEqual(["mesh-a-deployer"]);
        expect(m.named("mesh-a-admin-mesh-deployer-admin").aliases).toEqual(["mesh-a-deployer-admin"]);
        expect(m.named("mesh-a-admin-platform-deployer").aliases).toEqual([]);
    });

    test("the caller's role is compared without paths; users, other accounts and the root are not roles", () => {
        const admins = [role("team/ci/platform-deployer"), `arn:aws:iam::${ACCOUNT}:user/people/alice`];
        expect(isPrincipalListed(`arn:aws:sts::${ACCOUNT}:assumed-role/platform-deployer/ci`, admins)).toBe(true);
        expect(isPrincipalListed(`arn:aws:iam::${ACCOUNT}:user/alice`, admins)).toBe(true);
        expect(isPrincipalListed(`arn:aws:sts::${ACCOUNT}:assumed-role/alice/s`, admins)).toBe(false);
        expect(isPrincipalListed("arn:aws:sts::210987654321:assumed-role/platform-deployer/ci", admins)).toBe(false);
        expect(isPrincipalListed(`arn:aws:sts::${ACCOUNT}:assumed-role/Platform-Deployer/ci`, admins)).toBe(false);
        expect(isPrincipalListed(`arn:aws:iam::${ACCOUNT}:root`, admins)).toBe(false);
        expect(isPrincipalListed(`arn:aws:sts::${ACCOUNT}:federated-user/alice`, admins)).toBe(false);
    });
});

describe("restricted API allowlists admit the istiods that watch them", () => {
    test("the SDK lifts a Promise<Output>: value, resources and unknown-ness (what provisionClusters relies on)", async () => {
        await setMeshMocks(new MeshMocks(), true);
        class Thing extends pulumi.CustomResource {
            constructor(name: string) {
                super("test:index:Thing", name, {});
            }
        }
        const thing = new Thing("thing");
        let resolve!: (o: pulumi.Output<string[]>) => void;
        const deferred = pulumi.output(new Promise<pulumi.Output<string[]>>((r) => (resolve = r)));
        resolve(thing.urn.apply((u) => [u]));
        expect(await promiseOf(deferred)).toEqual([expect.stringContaining("test:index:Thing::thing")]);
        expect([...(await (deferred as any).allResources())]).toContain(thing);
        const unknown = pulumi.output(Promise.resolve(pulumi.output(pulumi.unknown as unknown as string)));
        expect(await (unknown as any).isKnown).toBe(false);
    });

    describe("an EKS and an AKS primary that restrict their APIs, watched by each other and by an existing primary", () => {
        let r: MeshRun;
        beforeAll(async () => {
            r = await run(
                mesh(
                    eks("a", { publicAccessCidrs: ["203.0.113.0/24"] }),
                    aks("z", { authorizedIpRanges: ["203.0.113.0/24"] }),
                    onprem("o", { egressCidrs: ["198.18.0.0/24", "203.0.113.0/24"] }),
                    eks("rem", { vpcCidr: "10.30.0.0/16", publicAccessCidrs: ["203.0.113.0/24"] }, { role: "remote", primary: "a" }),
                ),
            );
        });
        const egress = async (cluster: string) => promiseOf(r.mesh.clusters.get(cluster)!.handle.egressCidrs);

        test("every cluster exposes its egress: the NAT's EIP, the AKS outbound IP, the configured CIDRs", async () => {
            expect(await egress("a")).toEqual([expect.stringMatching(/^198\.51\.100\.\d+\/32$/)]);
            expect(await egress("z")).toEqual([expect.stringMatching(/^192\.0\.2\.\d+\/32$/)]);
            expect(await egress("o")).toEqual(["198.18.0.0/24", "203.0.113.0/24"]);
        });

        test("EKS: its watchers' egress (the primaries z and o, not the remote) is added to publicAccessCidrs, and the control plane waits for it", async () => {
            const cluster = r.mocks.named("mesh-a-eks");
            expect(cluster.inputs.vpcConfig.publicAccessCidrs).toEqual(["203.0.113.0/24", ...(await egress("z")), "198.18.0.0/24"]);
            expect(cluster.dependsOn).toContain("mesh-z-egress-ip");
            expect(cluster.dependsOn).not.toContain("mesh-rem-nat-ip");
        });

        test("AKS: likewise, from the other direction (no cycle: egress addresses need no control plane)", async () => {
            const cluster = r.mocks.named("mesh-z-aks");
            expect(cluster.inputs.apiServerAccessProfile).toEqual({ authorizedIPRanges: ["203.0.113.0/24", ...(await egress("a")), "198.18.0.0/24"] });
            expect(cluster.dependsOn).toContain("mesh-a-nat-ip");
            expect(r.mocks.named("mesh-a-nat-ip").dependsOn).not.toContain("mesh-z-aks");
        });

        test("a remote's API admits every primary, as each watches it", async () => {
            expect(r.mocks.named("mesh-rem-eks").inputs.vpcConfig.publicAccessCidrs).toEqual(["203.0.113.0/24", ...(await egress("a")), ...(await egress("z")), "198.18.0.0/24"]);
        });

        test("AKS egress: a static Standard public IP of our own as the outbound IP, which the cluster identity may join", () => {
            const m = r.mocks;
            expect(m.named("mesh-z-egress-ip").inputs).toMatchObject({
                resourceGroupName: "z-rg",
                location: "westeurope",
                publicIpAddressName: "z-egress",
                sku: { name: "Standard", tier: "Regional" },
                publicIPAllocationMethod: "Static",
                publicIPAddressVersion: "IPv4",
            });
            expect(m.named("mesh-z-aks").inputs.networkProfile.loadBalancerProfile.outboundIPs).toEqual({ publicIPs: [{ id: "mesh-z-egress-ip-id" }] });
            expect(m.named("mesh-z-aks").dependsOn).toContain("mesh-z-egress-ip");
            expect(m.named("mesh-z-egress-ip-network-contributor").inputs).toMatchObject({
                principalId: "principal-z",
                scope: "mesh-z-egress-ip-id",
                roleDefinitionId: expect.stringMatching(/roleDefinitions\/4d97b98b-1d4f-4787-a291-c67834d212e7$/),
            });
            expect(m.named("mesh-z-k8s").dependsOn).toEqual(expect.arrayContaining(["mesh-z-aks", "mesh-z-network-contributor", "mesh-z-egress-ip-network-contributor"]));
        });
    });

    test("a restricted control plane waits for its watchers' egress addresses, not for their clusters", async () => {
        // AKS takes 30 minutes here; the EKS control plane that must admit it starts within a minute.
        const delay = ({ type, name }: { type: string; name: string }) => (type === "azure-native:containerservice:ManagedCluster" ? 30 : minutesOf(type, name));
        const m = (await runMesh(parseMeshConfig(mesh(eks("a", { publicAccessCidrs: ["203.0.113.0/24"] }), aks("z", { authorizedIpRanges: ["203.0.113.0/24"] }))), { delay })).mocks;
        expect(m.named("mesh-a-eks").start).toBeGreaterThanOrEqual(m.named("mesh-z-egress-ip").end);
        expect(m.named("mesh-a-eks").start).toBeLessThan(1);
        expect(m.named("mesh-a-eks").end).toBeLessThan(m.named("mesh-z-aks").end);
        expect(m.named("mesh-z-aks").start).toBeGreaterThanOrEqual(m.named("mesh-a-nat-ip").end);
    });

    test("open allowlists stay as configured and wait for no other cluster", async () => {
        const m = (await run(mesh(eks("a"), aks("z")))).mocks;
        const cluster = m.named("mesh-a-eks");
        expect(cluster.inputs.vpcConfig.publicAccessCidrs).toEqual(["0.0.0.0/0"]);
        expect(cluster.dependsOn.filter((d) => d.startsWith("mesh-z"))).toEqual([]);
        expect(m.named("mesh-z-aks").inputs.apiServerAccessProfile).toBeUndefined();
        expect(m.named("mesh-z-aks").dependsOn.filter((d) => d.startsWith("mesh-a"))).toEqual([]);
    });

    test("with private access off, the nodes reach the public endpoint from their NAT, which is admitted too", async () => {
        const r = await run(mesh(eks("a", { publicAccessCidrs: ["203.0.113.0/24"], endpointPrivateAccess: false })));
        expect(r.mocks.named("mesh-a-eks").inputs.vpcConfig.publicAccessCidrs).toEqual(["203.0.113.0/24", ...(await promiseOf(r.mesh.clusters.get("a")!.handle.egressCidrs))]);
    });

    test("the production stack: aws-east's endpoint admits its operators' range and azure-west's istiod", async () => {
        const stack = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.prod.yaml"), "utf8")).config;
        const r = await run(Object.fromEntries(Object.entries(stack).map(([k, v]) => [k.replace(/^mesh:/, ""), v])));
        const azureEgress = await promiseOf(r.mesh.clusters.get("azure-west")!.handle.egressCidrs);
        expect(r.mocks.named("mesh-aws-east-eks").inputs.vpcConfig.publicAccessCidrs).toEqual(["203.0.113.0/24", ...azureEgress]);
        expect(r.mocks.named("mesh-aws-west-eks").inputs.vpcConfig.publicAccessCidrs).toEqual(["0.0.0.0/0"]);
        expect(r.mocks.ofType(ACCESS_ENTRY).map((e) => e.name).sort()).toEqual([
            "mesh-aws-east-admin-mesh-deployer",
            "mesh-aws-east-admin-platform-admins",
            "mesh-aws-west-admin-mesh-deployer",
            "mesh-aws-west-admin-platform-admins",
        ]);
    });
});

describe("EKS: no security groups of our own", () => {
    test("no security group or rule; the control plane gets only the cluster security group EKS makes", async () => {
        const m = (await run(mesh(eks("a")))).mocks;
        expect(m.resources.filter((r) => r.type.startsWith("aws:ec2/securityGroup") || r.type.startsWith("aws:vpc/securityGroup"))).toEqual([]);
        expect(m.named("mesh-a-eks").inputs.vpcConfig).not.toHaveProperty("securityGroupIds");
    });
});

describe("availability zones stay put", () => {
    const zonesCall = (m: MeshMocks) => m.calls.filter((c) => c.token === "aws:index/getAvailabilityZones:getAvailabilityZones");
    const subnets = (m: MeshMocks) => m.ofType(SUBNET).sort((x, y) => x.name.localeCompare(y.name));

    test("looked up among available zones that need no opt-in; each subnet keeps its zone once created", async () => {
        const m = (await run(mesh(eks("a")), { zones: ["us-east-1a", "us-east-1b", "us-east-1c"] })).mocks;
        expect(zonesCall(m).map((c) => c.inputs)).toEqual([{ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }]);
        expect(subnets(m).map((s) => [s.name, s.inputs.availabilityZone, s.ignoreChanges])).toEqual([
            ["mesh-a-private-0", "us-east-1a", ["availabilityZone"]],
            ["mesh-a-private-1", "us-east-1b", ["availabilityZone"]],
            ["mesh-a-public-0", "us-east-1a", ["availabilityZone"]],
            ["mesh-a-public-1", "us-east-1b", ["availabilityZone"]],
        ]);
    });

    test("a different lookup result changes no existing subnet", async () => {
        const before = subnets((await run(mesh(eks("a")), { zones: ["us-east-1a", "us-east-1b", "us-east-1c"] })).mocks);
        // us-east-1a impaired: the lookup shifts every index.
        const after = subnets((await run(mesh(eks("a")), { zones: ["us-east-1b", "us-east-1c"] })).mocks);
        expect(after.map((s) => s.inputs.availabilityZone)).not.toEqual(before.map((s) => s.inputs.availabilityZone));
        // What the engine diffs for an existing resource: each ignoreChanges property keeps its old
        // value (pulumi/pulumi pkg/resource/deploy/step_generator.go processIgnoreChanges).
        const diffed = (now: Recorded, old: Recorded) => ({ ...now.inputs, ...Object.fromEntries(now.ignoreChanges.map((p) => [p, old.inputs[p]])) });
        after.forEach((s, i) => expect([s.name, diffed(s, before[i])]).toEqual([before[i].name, before[i].inputs]));
    });

    test("explicit zones: no lookup, one per subnet pair, and changing them is a deliberate replacement", async () => {
        const m = (await run(mesh(eks("a", { availabilityZones: ["us-east-1d", "us-east-1f"] })))).mocks;
        expect(zonesCall(m)).toEqual([]);
        expect(subnets(m).map((s) => [s.name, s.inputs.availabilityZone, s.ignoreChanges])).toEqual([
            ["mesh-a-private-0", "us-east-1d", []],
            ["mesh-a-private-1", "us-east-1f", []],
            ["mesh-a-public-0", "us-east-1d", []],
            ["mesh-a-public-1", "us-east-1f", []],
        ]);
    });

    test("too few zones in the region fail with the keys to change", () => {
        const { resources, errors } = runMeshInChild(mesh(eks("a", { zones: 3 })), { preview: true, world: { zones: ["us-east-1a", "us-east-1b"] } });
        expect(resources.filter((r) => r.startsWith(`${SUBNET}::`))).toEqual([]);
        expect(errors).toEqual([expect.stringContaining("us-east-1 has 2 available zones that need no opt-in (us-east-1a, us-east-1b), fewer than aws.zones (3); lower aws.zones or list aws.availabilityZones")]);
    }, 60000);
});

describe("cloud SDKs load only for clusters on their cloud", () => {
    // @pulumi/aws and @pulumi/azure-native are the largest modules of the program
    // (components/clusters/index.ts): a mesh of existing clusters never loads them.
    test.each([
        // The global Prometheus's cluster (a) needs its egress known: federation load balancers admit only it.
        ["existing clusters only", [onprem("a", { egressCidrs: ["203.0.113.0/24"] }), onprem("b")], []],
        ["EKS and an existing cluster", [eks("a"), onprem("b")], ["aws"]],
        ["AKS and an existing cluster", [aks("a"), onprem("b")], ["azure-native"]],
        ["EKS and AKS", [eks("a"), aks("b")], ["aws", "azure-native"]],
    ])("%s", (_, clusters, sdks) => {
        const run = runMeshInChild(mesh(...clusters), { preview: true });
        expect(run.errors).toEqual([]);
        expect(run.resources.length).toBeGreaterThan(0);
        expect(run.sdks).toEqual(sdks);
    });
});
