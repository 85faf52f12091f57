/**
 * An EKS cluster in its own VPC: private and public subnets in `zones` availability zones, one
 * NAT gateway (whose address is the cluster's egress), IAM roles, API access entries for the
 * configured admins, and a managed node group.
 *
 * No security group of our own: managed node groups without a launch template carry only the
 * cluster security group, which EKS also puts on the control plane's network interfaces and which
 * admits all traffic from itself, so the control plane already reaches istiod's webhook (15017)
 * and XDS (15012) on the nodes (EKS user guide, sec-group-reqs: "Default cluster security group").
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr, unionCidrs, zoneSubnets } from "../../stacks/cidr";
import { ClusterConfig, restrictedApiAllowlist } from "../../stacks/config";
import { accessEntrySuffix, callerPrincipal, isPrincipalListed } from "../../stacks/iam";
import { ClusterArgs, ClusterHandle, clusterProvider } from "./handle";
import { execKubeconfig } from "./kubeconfig";

/** An internet-facing NLB, which keeps TLS passthrough and source ports intact for 15443/15012/15017. */
export const NLB_ANNOTATIONS: Readonly<Record<string, string>> = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
};

export class EksCluster extends pulumi.ComponentResource implements ClusterHandle {
    readonly name: string;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly apiServer: pulumi.Output<string>;
    readonly egressCidrs: pulumi.Output<string[]>;
    readonly gatewayServiceAnnotations: Readonly<Record<string, string>>;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:cluster:EksCluster", name, {}, opts);
        const { cluster } = args;
        const s = cluster.aws!;
        const region = cluster.region!;
        this.name = cluster.name;
        const tags = { "mesh:cluster": cluster.name, "mesh:network": cluster.network };

        const cloud = new aws.Provider(`${name}-aws`, { region, profile: s.profile, defaultTags: { tags } }, { parent: this });
        const o = { parent: this, provider: cloud };

        // Network
        const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: s.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: cluster.name } }, o);
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id }, o);
        const cidrs = zoneSubnets(parseCidr(s.vpcCidr)!, s.zones);
        // A subnet's availabilityZone forces its replacement (and so the node group's and the NAT's).
        // Explicit zones are the user's decision. Looked-up ones are the names of the zones available
        // right now, sorted (terraform-provider-aws internal/service/ec2/ec2_availability_zones_data_source.go),
        // so one zone changing state shifts every index after it: they only place new subnets, and
        // an existing subnet keeps the zone it has (ignoreChanges), whatever a later lookup says.
        const zone = s.availabilityZones ? (i: number): pulumi.Input<string> => s.availabilityZones![i] : lookedUpZones(region, s.zones, o);
        const subnetOpts = s.availabilityZones ? o : { ...o, ignoreChanges: ["availabilityZone"] };
        const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }] }, o);
        const subnetsOf = (kind: "public" | "private", roleTag: string) =>
            cidrs[kind].map(
                (cidrBlock, i) =>
                    new aws.ec2.Subnet(
                        `${name}-${kind}-${i}`,
                        {
                            vpcId: vpc.id,
                            cidrBlock,
                            availabilityZone: zone(i),
                            mapPublicIpOnLaunch: kind === "public",
                            tags: { Name: `${cluster.name}-${kind}-${i}`, [roleTag]: "1", [`kubernetes.io/cluster/${cluster.name}`]: "shared" },
                        },
                        subnetOpts,
                    ),
            );
        const publicSubnets = subnetsOf("public", "kubernetes.io/role/elb");
        const privateSubnets = subnetsOf("private", "kubernetes.io/role/internal-elb");
        const natIp = new aws.ec2.Eip(`${name}-nat-ip`, { domain: "vpc" }, o);
        // Everything the nodes (and so istiod) send to the internet leaves from this address.
        this.egressCidrs = natIp.publicIp.apply((ip) => [`${ip}/32`]);
        const nat = new aws.ec2.NatGateway(`${name}-nat`, { subnetId: publicSubnets[0].id, allocationId: natIp.id }, { ...o, dependsOn: [igw] });
        const privateRoutes = new aws.ec2.RouteTable(`${name}-private-rt`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }] }, o);
        const routeAssociations = [
            ...publicSubnets.map((sn, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: sn.id, routeTableId: publicRoutes.id }, o)),
            ...privateSubnets.map((sn, i) => new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: sn.id, routeTableId: privateRoutes.id }, o)),
        ];

        // IAM
        const partition = aws.getPartitionOutput({}, o).partition;
        const clusterRole = serviceRole(`${name}-cluster-role`, "eks.amazonaws.com", ["AmazonEKSClusterPolicy"], partition, o);
        const nodeRole = serviceRole(`${name}-node-role`, "ec2.amazonaws.com", ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"], partition, o);

        // Control plane
        // A restricted endpoint admits the watchers' egress (index.ts provisionClusters), and the
        // nodes' own when they cannot use the private endpoint (EKS API VpcConfigRequest.publicAccessCidrs).
        const allowlist = restrictedApiAllowlist(cluster);
        const publicAccessCidrs = allowlist
            ? pulumi.all([args.apiClients ?? [], s.endpointPrivateAccess ? [] : this.egressCidrs]).apply(([clients, own]) => unionCidrs(allowlist, own, clients))
            : s.publicAccessCidrs;
        const eks = new aws.eks.Cluster(
            `${name}-eks`,
            {
                name: admittedClusterName(cluster, o),
                version: s.kubernetesVersion,
                roleArn: clusterRole.role.arn,
                vpcConfig: {
                    subnetIds: [...privateSubnets, ...publicSubnets].map((sn) => sn.id),
                    endpointPublicAccess: s.endpointPublicAccess,
                    endpointPrivateAccess: s.endpointPrivateAccess,
                    publicAccessCidrs: s.endpointPublicAccess ? publicAccessCidrs : undefined,
                },
                // Access entries only: who administers the cluster is declared here, not in aws-auth.
                accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
            },
            { ...o, dependsOn: clusterRole.attachments },
        );

        // Access: the configured admins, never the caller. principalArn forces replacement
        // (terraform-provider-aws internal/service/eks/access_entry.go), so an entry that followed
        // whoever runs Pulumi took access away from the previous one at every change of hands.
        const accessPolicies = s.adminPrincipalArns.map((principalArn) => {
            const id = `admin-${accessEntrySuffix(principalArn)}`;
            // The deployer role's entry takes over the `deployer` entry earlier versions derived from
            // the caller, instead of clashing with it (EKS allows one entry per principal).
            const deployer = principalArn === s.deployerRoleArn;
            const entry = new aws.eks.AccessEntry(`${name}-${id}`, { clusterName: eks.name, principalArn, type: "STANDARD" }, { ...o, aliases: deployer ? [{ name: `${name}-deployer` }] : [] });
            return new aws.eks.AccessPolicyAssociation(
                `${name}-${id}-admin`,
                { clusterName: eks.name, principalArn: entry.principalArn, policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`, accessScope: { type: "cluster" } },
                { ...o, aliases: deployer ? [{ name: `${name}-deployer-admin` }] : [] },
            );
        });

        const nodes = new aws.eks.NodeGroup(
            `${name}-nodes`,
            {
                clusterName: eks.name,
                nodeRoleArn: nodeRole.role.arn,
                subnetIds: privateSubnets.map((sn) => sn.id),
                instanceTypes: [s.instanceType],
                scalingConfig: { desiredSize: s.desiredSize, minSize: s.minSize, maxSize: s.maxSize },
                updateConfig: { maxUnavailable: 1 },
            },
            // A cluster autoscaler owns desiredSize once the group exists.
            { ...o, dependsOn: [...nodeRole.attachments, ...routeAssociations], ignoreChanges: ["scalingConfig.desiredSize"] },
        );

        this.kubeconfig = pulumi.secret(
            pulumi.all([eks.name, eks.endpoint, eks.certificateAuthority.data]).apply(([clusterName, server, caData]) =>
                execKubeconfig({
                    name: cluster.name,
                    server,
                    caData,
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region, ...(s.deployerRoleArn ? ["--role-arn", s.deployerRoleArn] : []), "--output", "json"],
                    env: s.profile ? { AWS_PROFILE: s.profile } : undefined,
                }),
            ),
        );
        // Usable once nodes can run pods and we may log in.
        this.provider = clusterProvider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this, dependsOn: [nodes, ...accessPolicies] });
        this.apiServer = eks.endpoint;
        this.gatewayServiceAnnotations = { ...NLB_ANNOTATIONS, ...s.gatewayServiceAnnotations };
        this.registerOutputs({ apiServer: this.apiServer, egressCidrs: this.egressCidrs });
    }
}

function serviceRole(name: string, service: string, managedPolicies: string[], partition: pulumi.Output<string>, opts: pulumi.CustomResourceOptions) {
    const role = new aws.iam.Role(
        name,
        { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] }) },
        opts,
    );
    const attachments = managedPolicies.map(
        (policy) => new aws.iam.RolePolicyAttachment(`${name}-${policy}`, { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}` }, opts),
    );
    return { role, attachments };
}

/**
 * Zone names for subnet i, looked up among zones that need no opt-in: Local and Wavelength Zones
 * do, and EKS can put neither its control plane nor managed node groups there (EKS user guide, local-zones).
 */
function lookedUpZones(region: string, count: number, opts: pulumi.InvokeOutputOptions): (i: number) => pulumi.Output<string> {
    const names = aws
        .getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, opts)
        .names.apply((n) => {
            if (n.length < count) throw new Error(`${region} has ${n.length} available zones that need no opt-in (${n.join(", ")}), fewer than aws.zones (${count}); lower aws.zones or list aws.availabilityZones`);
            return n;
        });
    return (i) => names.apply((n) => n[i]);
}

/**
 * The control plane's name, once the identity Pulumi's Kubernetes provider will use is known to be
 * an admin: deployerRoleArn (an admin by config validation), or else whoever runs Pulumi, whose
 * role is compared with adminPrincipalArns ignoring paths. The name gates aws.eks.Cluster and is
 * known at preview, so a deployer who could not log in fails `pulumi preview` before any cluster exists.
 */
function admittedClusterName(cluster: ClusterConfig, opts: pulumi.InvokeOutputOptions): pulumi.Input<string> {
    const s = cluster.aws!;
    if (s.deployerRoleArn) return cluster.name;
    return aws.getCallerIdentityOutput({}, opts).arn.apply((caller) => {
        if (!isPrincipalListed(caller, s.adminPrincipalArns)) throw new Error(ambientAdminProblem(cluster.name, caller));
        return cluster.name;
    });
}

/** Why the ambient identity may not deploy cluster `clusterName`, naming the key to edit. */
export function ambientAdminProblem(clusterName: string, callerArn: string): string {
    const p = callerPrincipal(callerArn);
    const who = p ? `IAM ${p.kind} ${p.name} of account ${p.account}` : "an identity that cannot be an access entry";
    return (
        `cluster "${clusterName}": Pulumi runs as ${callerArn} (${who}), which is not in aws.adminPrincipalArns, so it could not reach the cluster's API: ` +
        `add that ${p?.kind ?? "principal"}'s ARN to aws.adminPrincipalArns of the mesh:clusters entry named "${clusterName}", or set its aws.deployerRoleArn to one of those admins`
    );
}
