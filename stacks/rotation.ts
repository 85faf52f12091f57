/**
 * Root CA rotation as explicit phases (mesh:pki.rotation.phase), following the multi-root
 * procedure Istio supports (Sail docs/general/plugin-ca.md, Tetrate's root-cert-rotation guide):
 * istiod with ISTIO_MULTIROOT_MESH, proxies with PROXY_CONFIG_XDS_AGENT, `root-cert.pem` carrying
 * both roots while both are trusted. From root generation g (mesh:pki.rootGeneration) to g + 1:
 *
 *   (none)  roots g          intermediates by g      trusted: g
 *   trust   roots g, g+1     intermediates by g      trusted: g, g+1
 *   issue   roots g, g+1     intermediates by g+1    trusted: g, g+1
 *   retire  root g+1         intermediates by g+1    trusted: g+1
 *
 * then `rootGeneration: g + 1` without `rotation` ends it. Each phase is one `up` on every
 * cluster; the next must wait until workloads hold what the phase gave them (see README).
 */
export type RotationPhase = "trust" | "issue" | "retire";
export const ROTATION_PHASES: readonly RotationPhase[] = ["trust", "issue", "retire"];

export interface RootSettings {
    readonly rootGeneration: number;
    readonly rotation?: { readonly phase: RotationPhase };
}

export interface RootPlan {
    /** The root generations that exist, oldest first; all of them are trusted. */
    readonly roots: readonly number[];
    /** The generation that signs the intermediates (and is the `rootCertificatePem` output). */
    readonly issuing: number;
    /** istiod and proxies run with multi-root trust (during a rotation). */
    readonly multiRoot: boolean;
}

export function rootPlan(pki: RootSettings): RootPlan {
    const g = pki.rootGeneration;
    switch (pki.rotation?.phase) {
        case undefined:
            return { roots: [g], issuing: g, multiRoot: false };
        case "trust":
            return { roots: [g, g + 1], issuing: g, multiRoot: true };
        case "issue":
            return { roots: [g, g + 1], issuing: g + 1, multiRoot: true };
        case "retire":
            return { roots: [g + 1], issuing: g + 1, multiRoot: true };
    }
}

/** Where a mesh stands, as its outputs show it: which roots it trusts and which one issues. */
export interface DeployedRoots {
    readonly trusted: readonly number[];
    readonly issuing: number;
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const describe = (p: { roots?: readonly number[]; trusted?: readonly number[]; issuing: number }) => `trusting root ${(p.roots ?? p.trusted)!.join(" and ")}, issuing from ${p.issuing}`;

/**
 * Problems with going from the deployed roots to the planned ones in one `up`: only to the next
 * phase (or staying, or going back a phase while the old root still exists); never a root
 * generation that appears or goes without the phases.
 */
export function rotationProblems(pki: RootSettings, deployed: DeployedRoots): string[] {
    const plan = rootPlan(pki);
    if (same(plan.roots, deployed.trusted) && plan.issuing === deployed.issuing) return [];
    const g = pki.rootGeneration;
    // The phases of the rotation from g, in order. Ending one (retire → rootGeneration g + 1) changes
    // no root, so it took the early return above.
    const walk: RootPlan[] = [rootPlan({ rootGeneration: g }), ...ROTATION_PHASES.map((phase) => rootPlan({ rootGeneration: g, rotation: { phase } }))];
    const at = walk.findIndex((p) => same(p.roots, deployed.trusted) && p.issuing === deployed.issuing);
    const to = walk.findIndex((p) => same(p.roots, plan.roots) && p.issuing === plan.issuing);
    // Forward one phase, or back one phase except out of retire (the old root is gone by then).
    if (at >= 0 && to >= 0 && (to === at + 1 || (to === at - 1 && at < walk.length - 1))) return [];
    const key = pki.rotation ? "mesh:pki.rotation.phase" : "mesh:pki.rootGeneration";
    const wanted = pki.rotation ? `phase ${pki.rotation.phase} of the rotation from root ${g}` : `root ${g} alone`;
    return [
        `${key}: ${wanted} (${describe(plan)}) cannot follow what is deployed (${describe(deployed)}) in one up: ` +
            `the phases go trust, issue, retire, then rootGeneration ${g + 1} without rotation, one up each (README: Root CA rotation)`,
    ];
}
