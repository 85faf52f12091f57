/**
 * Realistic creation times (minutes) of each step, by resource type: what a real `pulumi up`
 * waits for. Shared by the graph-order tests and the benchmark.
 */
export const MINUTES: Readonly<Record<string, number>> = {
    "aws:eks/cluster:Cluster": 12,
    "aws:eks/nodeGroup:NodeGroup": 4,
    "aws:ec2/natGateway:NatGateway": 2,
    "aws:ec2/vpc:Vpc": 0.2,
    "aws:ec2/subnet:Subnet": 0.1,
    "aws:ec2/internetGateway:InternetGateway": 0.2,
    "aws:ec2/routeTable:RouteTable": 0.1,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": 0.05,
    "aws:ec2/eip:Eip": 0.1,
    "aws:iam/role:Role": 0.2,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 0.1,
    "aws:eks/accessEntry:AccessEntry": 0.2,
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": 0.1,
    "azure-native:resources:ResourceGroup": 0.2,
    "azure-native:network:VirtualNetwork": 0.3,
    "azure-native:network:Subnet": 0.2,
    "azure-native:network:PublicIPAddress": 0.2,
    "azure-native:containerservice:ManagedCluster": 6,
    "azure-native:authorization:RoleAssignment": 0.5,
    "tls:index/privateKey:PrivateKey": 0.01,
    "tls:index/selfSignedCert:SelfSignedCert": 0.01,
    "tls:index/certRequest:CertRequest": 0.01,
    "tls:index/locallySignedCert:LocallySignedCert": 0.01,
    "kubernetes:core/v1:Namespace": 0.05,
    "kubernetes:core/v1:Secret": 0.05,
    "kubernetes:core/v1:Service": 0.02,
    "kubernetes:security.istio.io/v1:PeerAuthentication": 0.05,
    "kubernetes:networking.istio.io/v1:Gateway": 0.05,
    "kubernetes:networking.istio.io/v1:VirtualService": 0.05,
    /** Helm install with wait (pods ready). */
    "kubernetes:helm.sh/v3:Release": 1,
    /** The east-west LoadBalancer Service: the provider waits until the cloud reports an address. */
    "eastwest:Service": 2.5,
};

/** Minutes a resource takes; providers and components take none. */
export function minutesOf(type: string, name: string): number {
    if (type === "kubernetes:core/v1:Service" && name.endsWith("-eastwest-service")) return MINUTES["eastwest:Service"];
    return MINUTES[type] ?? 0;
}
