/**
 * The stack outputs application teams read through a StackReference; these names are a contract,
 * lib/contract.ts (test/contract.test.ts holds the two equal).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterEntry, TeamEntry } from "../lib/contract";
import { Mesh } from "./mesh";

export interface ClusterOutput {
    readonly provider: ClusterEntry["provider"];
    readonly region?: string;
    readonly network: string;
    readonly role: ClusterEntry["role"];
    /** For a remote: the primary whose istiod serves it. */
    readonly primary?: string;
    /** Only with mesh:access.adminKubeconfigOutputs; secret. */
    readonly adminKubeconfig?: pulumi.Output<string>;
    readonly apiServer: pulumi.Output<string>;
    readonly eastWestGatewayAddress?: pulumi.Output<string | undefined>;
}

export interface TeamOutput {
    readonly role: TeamEntry["role"];
    readonly namespaces: readonly string[];
    /** Per cluster: a kubeconfig for the team's ServiceAccount, which may act only in its namespaces (secret). */
    readonly clusters: Record<string, { readonly kubeconfig: pulumi.Output<string> }>;
}

/** Optional in the contract: stacks deployed before it was exported lack the generation. */
function istioOutput(config: Mesh["config"]): { version: string; chartRepository: string; readerTokenGeneration?: number } {
    return { version: config.istio.version, chartRepository: config.istio.chartRepository, readerTokenGeneration: config.remoteSecrets.tokenGeneration };
}

/** The program's outputs; resolved, they are lib/contract.ts's MeshStackOutputs. */
export type MeshOutputs = ReturnType<typeof meshOutputs>;

/** Leaves stay separate Outputs so that only the kubeconfigs are secret. */
export function meshOutputs(mesh: Mesh) {
    const { config } = mesh;
    const clusters: Record<string, ClusterOutput> = {};
    for (const c of config.clusters) {
        const m = mesh.clusters.get(c.name)!;
        clusters[c.name] = {
            provider: c.provider,
            ...(c.region !== undefined ? { region: c.region } : {}),
            network: c.network,
            role: c.role,
            ...(c.primary !== undefined ? { primary: c.primary } : {}),
            ...(config.access.adminKubeconfigOutputs ? { adminKubeconfig: m.handle.kubeconfig } : {}),
            apiServer: m.handle.apiServer,
            ...(m.controlPlane.gatewayAddress ? { eastWestGatewayAddress: m.controlPlane.gatewayAddress } : {}),
        };
    }
    const teams: Record<string, TeamOutput> = {};
    for (const team of config.access.teams) {
        const kubeconfigs = team.clusters.map((c) => [c, { kubeconfig: mesh.access.get(c)!.teams.get(team.name)!.kubeconfig }]);
        teams[team.name] = { role: team.role, namespaces: team.namespaces, clusters: Object.fromEntries(kubeconfigs) };
    }
    return {
        meshId: config.meshId,
        trustDomain: config.trustDomain,
        rootCertificatePem: mesh.pki.rootCertificatePem,
        trustBundlePem: mesh.pki.trustBundlePem,
        istio: istioOutput(config),
        networks: mesh.plan.networks,
        clusters,
        teams,
    };
}
