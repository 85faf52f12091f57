/** The stack outputs application teams read through a StackReference; these names are a contract. */
import * as pulumi from "@pulumi/pulumi";
import { Mesh } from "./mesh";

export interface ClusterOutput {
    readonly provider: string;
    readonly region?: string;
    readonly network: string;
    readonly role: string;
    /** For a remote: the primary whose istiod serves it. */
    readonly primary?: string;
    /** Secret. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly apiServer: pulumi.Output<string>;
    readonly eastWestGatewayAddress?: pulumi.Output<string | undefined>;
}

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
            kubeconfig: m.handle.kubeconfig,
            apiServer: m.handle.apiServer,
            ...(m.controlPlane.gatewayAddress ? { eastWestGatewayAddress: m.controlPlane.gatewayAddress } : {}),
        };
    }
    return {
        meshId: config.meshId,
        trustDomain: config.trustDomain,
        rootCertificatePem: mesh.pki.rootCertificatePem,
        istio: { version: config.istio.version, chartRepository: config.istio.chartRepository },
        networks: mesh.plan.networks,
        clusters,
    };
}
