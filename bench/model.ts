/**
 * The benchmark's yardsticks, from first principles rather than from the program:
 *  - ideal: the longest chain of steps that truly depend on each other (what the cloud and
 *    Istio require), each taking its realistic time;
 *  - sequential: Istio's multi-cluster guide done by hand, one cluster and one step after another.
 */
import { MeshConfig } from "../stacks/config";
import { planMesh } from "../stacks/topology";
import { MINUTES } from "../test/support/durations";

interface Step {
    readonly minutes: number;
    readonly after: readonly string[];
}

export function meshSteps(config: MeshConfig): Map<string, Step> {
    const steps = new Map<string, Step>();
    const add = (id: string, type: string, after: string[] = [], count = 1) => {
        for (let i = 0; i < count; i++) steps.set(count === 1 ? id : `${id}#${i}`, { minutes: MINUTES[type] ?? 0, after });
        return id;
    };
    const plan = planMesh(config);
    add("root-key", "tls:index/privateKey:PrivateKey");
    add("root-cert", "tls:index/selfSignedCert:SelfSignedCert", ["root-key"]);
    for (const c of config.clusters) {
        const n = c.name;
        let ready: string[];
        if (c.provider === "aws") {
            const zones = c.aws!.zones;
            add(`${n}/vpc`, "aws:ec2/vpc:Vpc");
            add(`${n}/subnet`, "aws:ec2/subnet:Subnet", [`${n}/vpc`], 2 * zones);
            add(`${n}/igw`, "aws:ec2/internetGateway:InternetGateway", [`${n}/vpc`]);
            add(`${n}/eip`, "aws:ec2/eip:Eip");
            add(`${n}/nat`, "aws:ec2/natGateway:NatGateway", [`${n}/subnet#0`, `${n}/eip`, `${n}/igw`]);
            add(`${n}/private-rt`, "aws:ec2/routeTable:RouteTable", [`${n}/nat`]);
            add(`${n}/private-assoc`, "aws:ec2/routeTableAssociation:RouteTableAssociation", [`${n}/private-rt`]);
            add(`${n}/role`, "aws:iam/role:Role");
            add(`${n}/role-policy`, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", [`${n}/role`]);
            add(`${n}/eks`, "aws:eks/cluster:Cluster", [`${n}/subnet#0`, `${n}/role-policy`]);
            add(`${n}/access`, "aws:eks/accessEntry:AccessEntry", [`${n}/eks`]);
            add(`${n}/access-policy`, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", [`${n}/access`]);
            add(`${n}/nodes`, "aws:eks/nodeGroup:NodeGroup", [`${n}/eks`, `${n}/private-assoc`, `${n}/role-policy`]);
            ready = [`${n}/nodes`, `${n}/access-policy`];
        } else if (c.provider === "azure") {
            add(`${n}/rg`, "azure-native:resources:ResourceGroup");
            add(`${n}/vnet`, "azure-native:network:VirtualNetwork", [`${n}/rg`]);
            add(`${n}/subnet`, "azure-native:network:Subnet", [`${n}/vnet`]);
            add(`${n}/egress-ip`, "azure-native:network:PublicIPAddress", [`${n}/rg`]);
            add(`${n}/aks`, "azure-native:containerservice:ManagedCluster", [`${n}/subnet`, `${n}/egress-ip`]);
            add(`${n}/role`, "azure-native:authorization:RoleAssignment", [`${n}/aks`]);
            add(`${n}/egress-role`, "azure-native:authorization:RoleAssignment", [`${n}/aks`, `${n}/egress-ip`]);
            ready = [`${n}/aks`, `${n}/role`, `${n}/egress-role`];
        } else {
            ready = [];
        }
        add(`${n}/ready`, "", ready);
        add(`${n}/ns`, "kubernetes:core/v1:Namespace", [`${n}/ready`]);
    }
    const clusterPlans = plan.clusters;
    // The east-west load balancer needs only the namespace; istiod exposed to remotes names its address.
    for (const p of clusterPlans.filter((x) => x.eastWestGateway)) {
        steps.set(`${p.cluster.name}/lb`, { minutes: MINUTES["eastwest:Service"], after: [`${p.cluster.name}/ns`] });
    }
    for (const p of clusterPlans) {
        const n = p.cluster.name;
        // A remote's base carries webhook settings that name its primary's address and the root.
        add(`${n}/base`, "kubernetes:helm.sh/v3:Release", p.isPrimary ? [`${n}/ns`] : [`${n}/ns`, `${p.controlPlane}/lb`, "root-cert"]);
    }
    for (const p of clusterPlans.filter((x) => x.isPrimary)) {
        const n = p.cluster.name;
        add(`${n}/ca-key`, "tls:index/privateKey:PrivateKey");
        add(`${n}/ca-csr`, "tls:index/certRequest:CertRequest", [`${n}/ca-key`]);
        add(`${n}/ca-cert`, "tls:index/locallySignedCert:LocallySignedCert", [`${n}/ca-csr`, "root-cert"]);
        add(`${n}/cacerts`, "kubernetes:core/v1:Secret", [`${n}/ns`, `${n}/ca-cert`]);
        add(`${n}/istiod`, "kubernetes:helm.sh/v3:Release", [`${n}/base`, `${n}/cacerts`, ...(p.exposeIstiod ? [`${n}/lb`] : [])]);
        add(`${n}/istio-config`, "kubernetes:networking.istio.io/v1:Gateway", [`${n}/istiod`]);
    }
    for (const p of clusterPlans.filter((x) => !x.isPrimary)) {
        const n = p.cluster.name;
        add(`${n}/istiod`, "kubernetes:helm.sh/v3:Release", [`${n}/base`, `${p.controlPlane}/lb`, `${p.controlPlane}/istiod`, `${p.controlPlane}/istio-config`]);
    }
    // The reader may read once the istiod chart has bound its ClusterRole.
    for (const p of clusterPlans) add(`${p.cluster.name}/token`, "kubernetes:core/v1:Secret", [`${p.cluster.name}/base`, `${p.cluster.name}/istiod`]);
    for (const { watcher, watched } of plan.remoteSecrets) {
        add(`${watcher}/remote-${watched}`, "kubernetes:core/v1:Secret", [`${watcher}/ns`, `${watched}/token`]);
    }
    for (const p of clusterPlans.filter((x) => x.eastWestGateway)) {
        const n = p.cluster.name;
        // Its pods are injected by istiod: a remote's by its primary, through the primary's gateway.
        const injection = p.isPrimary ? [`${n}/istiod`] : [`${n}/istiod`, `${p.controlPlane}/remote-${n}`, `${p.controlPlane}/gateway`, `${p.controlPlane}/istio-config`];
        add(`${n}/gateway`, "kubernetes:helm.sh/v3:Release", injection);
    }
    return steps;
}

/** Length (minutes) of the longest chain of dependent steps. */
export function idealMinutes(steps: Map<string, Step>): number {
    const finish = new Map<string, number>();
    const visit = (id: string): number => {
        const known = finish.get(id);
        if (known !== undefined) return known;
        const step = steps.get(id);
        if (!step) throw new Error(`model: unknown step ${id}`);
        const t = Math.max(0, ...step.after.map(visit)) + step.minutes;
        finish.set(id, t);
        return t;
    };
    return Math.max(...[...steps.keys()].map(visit));
}

/** Every step one after another, as a person following the guide cluster by cluster would. */
export function sequentialMinutes(steps: Map<string, Step>): number {
    return [...steps.values()].reduce((sum, s) => sum + s.minutes, 0);
}
