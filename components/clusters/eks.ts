/**
 * An EKS cluster in its own VPC: private and public subnets in `zones` availability zones, one
 * NAT gateway, IAM roles, API access entries for the deployer, a managed node group, and the
 * security-group rules Istio needs between control plane and nodes.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr, zoneSubnets } from "../../stacks/cidr";
import { ClusterConfig } from "../../stacks/config";
import { ClusterHandle } from "./handle";
import { execKubeconfig } from "./kubeconfig";

/** The control plane calls istiod's webhook (15017) and, through the east-west gateway, XDS (15012) on the nodes. */
export const CONTROL_PLANE_TO_NODE_PORTS = [15012, 15017];

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
    readonly gatewayServiceAnnotations: Readonly<Record<string, string>>;

    constructor(name: string, args: { cluster: ClusterConfig }, opts?: pulumi.ComponentResourceOptions) {
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
        const zones = aws.getAvailabilityZonesOutput({ state: "available" }, o);
        const cidrs = zoneSubnets(parseCidr(s.vpcCidr)!, s.zones);
        const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }] }, o);
        const subnetsOf = (kind: "public" | "private", roleTag: string) =>
            cidrs[kind].map(
                (cidrBlock, i) =>
                    new aws.ec2.Subnet(
                        `${name}-${kind}-${i}`,
                        {
                            vpcId: vpc.id,
                            cidrBlock,
                            availabilityZone: zones.names[i],
                            mapPublicIpOnLaunch: kind === "public",
                            tags: { Name: `${cluster.name}-${kind}-${i}`, [roleTag]: "1", [`kubernetes.io/cluster/${cluster.name}`]: "shared" },
                        },
                        o,
                    ),
            );
        const publicSubnets = subnetsOf("public", "kubernetes.io/role/elb");
        const privateSubnets = subnetsOf("private", "kubernetes.io/role/internal-elb");
        const natIp = new aws.ec2.Eip(`${name}-nat-ip`, { domain: "vpc" }, o);
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
        const controlPlaneSg = new aws.ec2.SecurityGroup(
            `${name}-control-plane-sg`,
            { vpcId: vpc.id, description: `EKS control plane of ${cluster.name}`, egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] },
            o,
        );
        const eks = new aws.eks.Cluster(
            `${name}-eks`,
            {
                name: cluster.name,
                version: s.kubernetesVersion,
                roleArn: clusterRole.role.arn,
                vpcConfig: {
                    subnetIds: [...privateSubnets, ...publicSubnets].map((sn) => sn.id),
                    securityGroupIds: [controlPlaneSg.id],
                    endpointPublicAccess: s.endpointPublicAccess,
                    endpointPrivateAccess: s.endpointPrivateAccess,
                    publicAccessCidrs: s.endpointPublicAccess ? s.publicAccessCidrs : undefined,
                },
                // Access entries only: who administers the cluster is declared here, not in aws-auth.
                accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
            },
            { ...o, dependsOn: clusterRole.attachments },
        );
        // Nodes carry the cluster security group; admit the control plane on Istio's ports.
        const nodeRules = CONTROL_PLANE_TO_NODE_PORTS.map(
            (port) =>
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-control-plane-to-nodes-${port}`,
                    {
                        securityGroupId: eks.vpcConfig.clusterSecurityGroupId,
                        referencedSecurityGroupId: controlPlaneSg.id,
                        ipProtocol: "tcp",
                        fromPort: port,
                        toPort: port,
                        description: `EKS control plane to Istio on ${port}`,
                    },
                    o,
                ),
        );

        // Access: the deployer (the IAM role behind an assumed-role session) and any extra admins.
        const caller = aws.getCallerIdentityOutput({}, o);
        const deployer = aws.iam.getSessionContextOutput({ arn: caller.arn }, o).issuerArn;
        const admins: [string, pulumi.Input<string>][] = [["deployer", deployer], ...s.adminPrincipalArns.map((arn): [string, string] => [`admin-${principalName(arn)}`, arn])];
        const accessPolicies = admins.map(([id, principalArn]) => {
            const entry = new aws.eks.AccessEntry(`${name}-${id}`, { clusterName: eks.name, principalArn, type: "STANDARD" }, o);
            return new aws.eks.AccessPolicyAssociation(
                `${name}-${id}-admin`,
                { clusterName: eks.name, principalArn: entry.principalArn, policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`, accessScope: { type: "cluster" } },
                o,
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
                    args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"],
                    env: s.profile ? { AWS_PROFILE: s.profile } : undefined,
                }),
            ),
        );
        // Usable once nodes can run pods, the control plane can reach them, and we may log in.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this, dependsOn: [nodes, ...nodeRules, ...accessPolicies] });
        this.apiServer = eks.endpoint;
        this.gatewayServiceAnnotations = { ...NLB_ANNOTATIONS, ...s.gatewayServiceAnnotations };
        this.registerOutputs({ apiServer: this.apiServer });
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

/** A short, stable name for an IAM principal ARN: its last path segment. */
function principalName(arn: string): string {
    return arn.split("/").pop()!.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}
