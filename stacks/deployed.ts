/**
 * What a running mesh does not allow a config to change, checked against the outputs the stack's
 * last deployment exported (the program reads its own stack: stacks/loader.ts) before any resource.
 */
import { MeshConfig } from "./config";
import { rootReplacingEdits } from "./root-guard";

/** The part of the mesh's own outputs (components/outputs.ts) these checks read. */
export interface DeployedMesh {
    readonly rootCertificatePem?: string;
    readonly clusters?: Readonly<Record<string, { readonly role?: string }>>;
}

export function deployedProblems(config: MeshConfig, deployed: DeployedMesh): string[] {
    const root = deployed.rootCertificatePem;
    return [...(root?.includes("BEGIN CERTIFICATE") ? rootReplacingEdits(config, root) : []), ...demotions(config, deployed)];
}

/**
 * A running primary cannot become a remote in place: its cacerts, istiod and the remote secrets it
 * holds would go in the same `up` that points its webhooks elsewhere, and its workloads' identities
 * and discovery with them. Removing it and adding it back as a remote is two explicit steps.
 */
function demotions(config: MeshConfig, deployed: DeployedMesh): string[] {
    return config.clusters.flatMap((c, i) =>
        c.role === "remote" && deployed.clusters?.[c.name]?.role === "primary"
            ? [`mesh:clusters[${i}].role: "${c.name}" runs as a primary; a primary cannot become a remote in place: remove it (mesh:clusters), \`pulumi up\`, then add it back as a remote`]
            : [],
    );
}
