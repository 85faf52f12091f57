import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, restrictedApiAllowlist } from "../../stacks/config";
import { MeshPlan } from "../../stacks/topology";
import type { AksCluster } from "./aks";
import type { EksCluster } from "./eks";
import { ExistingCluster } from "./existing";
import { ClusterArgs, ClusterHandle } from "./handle";

export type { ClusterHandle } from "./handle";

/**
 * Provisions (or, for `existing`, connects to) one cluster on its cloud. A cloud's module, and with
 * it @pulumi/aws or @pulumi/azure-native, is loaded only for a cluster on that cloud: a mesh of
 * `existing` clusters never reads them (bench/local.sh). Types, names and URNs are the same.
 */
export function provisionCluster(name: string, cluster: ClusterConfig, opts: pulumi.ComponentResourceOptions, args: Omit<ClusterArgs, "cluster"> = {}): ClusterHandle {
    switch (cluster.provider) {
        case "aws": {
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use
            const { EksCluster: Eks } = require("./eks") as { EksCluster: typeof EksCluster };
            return new Eks(name, { ...args, cluster }, opts);
        }
        case "azure": {
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use
            const { AksCluster: Aks } = require("./aks") as { AksCluster: typeof AksCluster };
            return new Aks(name, { ...args, cluster }, opts);
        }
        case "existing":
            return new ExistingCluster(name, { ...args, cluster }, opts);
    }
}

/**
 * Every cluster of the plan, named `<name>-<cluster>`. Each API allowlist must admit the egress of
 * the clusters whose istiods watch it (topology.ts remoteSecrets: watcher → watched), in either
 * direction, while each component creates its control plane in its constructor. So a restricted
 * cluster gets its watchers' egress as a deferred Output: a Promise resolved once all clusters are
 * constructed, lifted by `pulumi.output`, which carries the inner Output's value, resources and
 * unknown-ness (@pulumi/pulumi output.js liftInnerOutput; pinned in test/clusters.test.ts). No
 * cycle: egress addresses (NAT EIP, AKS public IP) depend on no control plane.
 */
export function provisionClusters(name: string, plan: MeshPlan, opts: pulumi.ComponentResourceOptions): Map<string, ClusterHandle> {
    let constructed!: (handles: ReadonlyMap<string, ClusterHandle>) => void;
    const all = new Promise<ReadonlyMap<string, ClusterHandle>>((resolve) => (constructed = resolve));
    const handles = new Map<string, ClusterHandle>();
    for (const { cluster } of plan.clusters) {
        const watchers = plan.remoteSecrets.filter((s) => s.watched === cluster.name).map((s) => s.watcher);
        // Only where an allowlist uses it, so an open cluster waits for no other.
        const apiClients = restrictedApiAllowlist(cluster) ? pulumi.output(all.then((h) => pulumi.all(watchers.map((w) => h.get(w)!.egressCidrs)).apply((cidrs) => cidrs.flat()))) : undefined;
        handles.set(cluster.name, provisionCluster(`${name}-${cluster.name}`, cluster, opts, { apiClients }));
    }
    constructed(handles);
    return handles;
}
