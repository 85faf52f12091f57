/**
 * An AKS cluster: resource group, VNet with a node subnet (Azure CNI, so pods get routable
 * VNet addresses), a system pool with autoscaling and a system-assigned managed identity, and a
 * static public IP of our own as its outbound (egress) address.
 * Pulumi logs in with the cluster's admin credentials, which need no interactive login.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { unionCidrs } from "../../stacks/cidr";
import { restrictedApiAllowlist } from "../../stacks/config";
import { ClusterArgs, ClusterHandle, clusterProvider } from "./handle";

/** Built-in "Network Contributor": AKS's identity manages load balancers and IPs in our subnet. */
const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";

export class AksCluster extends pulumi.ComponentResource implements ClusterHandle {
    readonly name: string;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly apiServer: pulumi.Output<string>;
    readonly egressCidrs: pulumi.Output<string[]>;
    readonly gatewayServiceAnnotations: Readonly<Record<string, string>>;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:cluster:AksCluster", name, {}, opts);
        const { cluster } = args;
        const s = cluster.azure!;
        const location = cluster.region!;
        this.name = cluster.name;
        const tags = { "mesh-cluster": cluster.name, "mesh-network": cluster.network };

        const cloud = new AzureProvider(`${name}-azure`, { location, subscriptionId: s.subscriptionId }, { parent: this });
        const o = { parent: this, provider: cloud };

        const resourceGroupName: pulumi.Input<string> =
            s.resourceGroupName ?? new resources.ResourceGroup(`${name}-rg`, { resourceGroupName: `${cluster.name}-rg`, location, tags }, o).name;
        const vnet = new network.VirtualNetwork(
            `${name}-vnet`,
            { resourceGroupName, location, virtualNetworkName: `${cluster.name}-vnet`, addressSpace: { addressPrefixes: [s.vnetCidr] }, tags },
            // The subnet is its own resource; an inline list here would fight it.
            { ...o, ignoreChanges: ["subnets"] },
        );
        const subnet = new network.Subnet(
            `${name}-nodes`,
            { resourceGroupName, virtualNetworkName: vnet.name, subnetName: "nodes", addressPrefix: s.subnetCidr },
            o,
        );
        // The cluster's outbound address, created before the cluster so that other clusters' API
        // allowlists can admit it. AKS would otherwise pick its own managed IP, unknown until the
        // cluster exists. Standard SKU (static), as the Standard load balancer requires.
        const egressIp = new network.PublicIPAddress(
            `${name}-egress-ip`,
            {
                resourceGroupName,
                location,
                publicIpAddressName: `${cluster.name}-egress`,
                sku: { name: network.PublicIPAddressSkuName.Standard, tier: network.PublicIPAddressSkuTier.Regional },
                publicIPAllocationMethod: network.IPAllocationMethod.Static,
                publicIPAddressVersion: network.IPVersion.IPv4,
                tags,
            },
            o,
        );
        this.egressCidrs = egressIp.ipAddress.apply((ip) => {
            if (!ip) pulumi.log.error(`the egress IP of ${cluster.name} has no address; API allowlists that must admit its istiod cannot`, egressIp);
            return ip ? [`${ip}/32`] : [];
        });
        // A restricted API server admits the watchers' egress (index.ts provisionClusters).
        const allowlist = restrictedApiAllowlist(cluster);
        const authorizedIPRanges = allowlist ? pulumi.output(args.apiClients ?? []).apply((clients) => unionCidrs(allowlist, clients)) : s.authorizedIpRanges;
        const aks = new containerservice.ManagedCluster(
            `${name}-aks`,
            {
                resourceGroupName,
                location,
                resourceName: cluster.name,
                dnsPrefix: cluster.name,
                kubernetesVersion: s.kubernetesVersion,
                identity: { type: containerservice.ResourceIdentityType.SystemAssigned },
                enableRBAC: true,
                // Admin credentials (below) are local accounts.
                disableLocalAccounts: false,
                agentPoolProfiles: [
                    {
                        name: "system",
                        mode: containerservice.AgentPoolMode.System,
                        type: containerservice.AgentPoolType.VirtualMachineScaleSets,
                        osType: containerservice.OSType.Linux,
                        vmSize: s.vmSize,
                        count: s.nodeCount,
                        enableAutoScaling: true,
                        minCount: s.minCount,
                        maxCount: s.maxCount,
                        vnetSubnetID: subnet.id,
                    },
                ],
                networkProfile: {
                    networkPlugin: containerservice.NetworkPlugin.Azure,
                    serviceCidr: s.serviceCidr,
                    dnsServiceIP: s.dnsServiceIp,
                    loadBalancerSku: containerservice.LoadBalancerSku.Standard,
                    loadBalancerProfile: { outboundIPs: { publicIPs: [{ id: egressIp.id }] } },
                },
                apiServerAccessProfile: s.authorizedIpRanges.length > 0 ? { authorizedIPRanges } : undefined,
                tags,
            },
            // The autoscaler owns the node count once the pool exists.
            { ...o, ignoreChanges: ["agentPoolProfiles[0].count"] },
        );
        const subscriptionId = authorization.getClientConfigOutput(o).subscriptionId;
        const networkContributor = (id: string, scope: pulumi.Input<string>) =>
            new authorization.RoleAssignment(
                `${name}-${id}`,
                {
                    principalId: aks.identity.apply((i) => i?.principalId ?? ""),
                    principalType: authorization.PrincipalType.ServicePrincipal,
                    roleDefinitionId: pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`,
                    scope,
                },
                o,
            );
        const networkRole = networkContributor("network-contributor", subnet.id);
        // The cluster identity joins the outbound IP to the load balancer it reconciles for every
        // LoadBalancer Service, such as the east-west gateway's; the IP lies outside the node resource
        // group (publicIPAddresses/join/action: learn.microsoft.com/azure/aks/aks-service-permissions).
        const egressRole = networkContributor("egress-ip-network-contributor", egressIp.id);

        const credentials = containerservice.listManagedClusterAdminCredentialsOutput({ resourceGroupName, resourceName: aks.name }, o);
        this.kubeconfig = pulumi.secret(credentials.kubeconfigs.apply((k) => Buffer.from(k?.[0]?.value ?? "", "base64").toString("utf8")));
        // The system pool is created with the cluster; the roles let it provision the gateway's load balancer.
        this.provider = clusterProvider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this, dependsOn: [aks, networkRole, egressRole] });
        this.apiServer = pulumi.interpolate`https://${aks.fqdn}:443`;
        this.gatewayServiceAnnotations = s.gatewayServiceAnnotations;
        this.registerOutputs({ apiServer: this.apiServer, egressCidrs: this.egressCidrs });
    }
}
