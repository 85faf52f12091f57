/**
 * What a running mesh does not allow a config to change, checked against the outputs the stack's
 * last deployment exported (the program reads its own stack: stacks/loader.ts) before any resource.
 */
import { MeshConfig } from "./config";
import { DeployedIstio, tokenRotationProblems } from "./istio-defects";
import { rootGenerationOf, rootReplacingEdits } from "./root-guard";
import { rootPlan, rotationProblems } from "./rotation";

/** The part of the mesh's own outputs (components/outputs.ts) these checks read. */
export interface DeployedMesh {
    readonly rootCertificatePem?: string;
    /** Every root the mesh trusts (absent from stacks deployed before rotation existed: the root alone). */
    readonly trustBundlePem?: string;
    readonly clusters?: Readonly<Record<string, { readonly role?: string }>>;
    readonly istio?: DeployedIstio;
}

export function deployedProblems(config: MeshConfig, deployed: DeployedMesh): string[] {
    return [...rootProblems(config, deployed), ...demotions(config, deployed), ...tokenRotationProblems(config, deployed.istio)];
}

/**
 * The roots may change only phase by phase (stacks/rotation.ts); outside a rotation, no setting
 * the deployed root was issued with may change (stacks/root-guard.ts).
 */
function rootProblems(config: MeshConfig, deployed: DeployedMesh): string[] {
    const issuing = deployed.rootCertificatePem;
    if (!issuing?.includes("BEGIN CERTIFICATE")) return [];
    const trusted = splitPems(deployed.trustBundlePem ?? issuing).map(rootGenerationOf).sort((a, b) => a - b);
    const rotation = rotationProblems(config.pki, { trusted, issuing: rootGenerationOf(issuing) });
    if (rotation.length > 0) return rotation;
    return !config.pki.rotation && rootPlan(config.pki).issuing === rootGenerationOf(issuing) ? rootReplacingEdits(config, issuing) : [];
}

export function splitPems(bundle: string): string[] {
    return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
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
