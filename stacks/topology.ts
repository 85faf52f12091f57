/**
 * What Istio's multi-cluster model asks of each cluster, derived from the config alone
 * (../shared/docs/istio-multicluster.md). Pure, so every topology rule is testable without Pulumi.
 */
import { ClusterConfig, MeshConfig } from "./config";

export interface ClusterPlan {
    readonly cluster: ClusterConfig;
    readonly isPrimary: boolean;
    /** The primary whose istiod serves this cluster (itself for a primary). */
    readonly controlPlane: string;
    /** For a primary: the remotes it serves. */
    readonly remotes: readonly string[];
    /** East-west gateway: on every cluster of a multi-network mesh, and on primaries that serve remotes. */
    readonly eastWestGateway: boolean;
    /** `cross-network-gateway` (15443 AUTO_PASSTHROUGH): on primaries, the config clusters, of a multi-network mesh. */
    readonly crossNetworkGateway: boolean;
    /** `istiod-gateway` / `istiod-vs`: on primaries that serve remotes. */
    readonly exposeIstiod: boolean;
    /** Clusters whose API servers this cluster's istiod watches through remote secrets (primaries only). */
    readonly watches: readonly string[];
}

export interface RemoteSecretPlan {
    /** The cluster whose istiod reads the secret. */
    readonly watcher: string;
    /** The cluster the secret gives access to. */
    readonly watched: string;
}

export interface MeshPlan {
    readonly multiNetwork: boolean;
    readonly clusters: readonly ClusterPlan[];
    readonly remoteSecrets: readonly RemoteSecretPlan[];
    /** network → names of its clusters, in config order. */
    readonly networks: Readonly<Record<string, readonly string[]>>;
}

export function planMesh(config: Pick<MeshConfig, "clusters">): MeshPlan {
    const networks: Record<string, string[]> = {};
    for (const c of config.clusters) (networks[c.network] ??= []).push(c.name);
    const multiNetwork = Object.keys(networks).length > 1;

    const clusters = config.clusters.map((cluster): ClusterPlan => {
        const isPrimary = cluster.role === "primary";
        const remotes = isPrimary ? config.clusters.filter((r) => r.primary === cluster.name).map((r) => r.name) : [];
        return {
            cluster,
            isPrimary,
            controlPlane: isPrimary ? cluster.name : cluster.primary!,
            remotes,
            eastWestGateway: multiNetwork || remotes.length > 0,
            crossNetworkGateway: isPrimary && multiNetwork,
            exposeIstiod: remotes.length > 0,
            // Every primary watches every other cluster, primaries and remotes alike.
            watches: isPrimary ? config.clusters.filter((o) => o !== cluster).map((o) => o.name) : [],
        };
    });
    const remoteSecrets = clusters.flatMap((p) => p.watches.map((watched) => ({ watcher: p.cluster.name, watched })));
    return { multiNetwork, clusters, remoteSecrets, networks };
}
