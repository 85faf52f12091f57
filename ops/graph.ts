/**
 * The mesh as a picture's model: clusters grouped by cloud and network, which istiod serves and
 * watches which cluster, east-west gateways and the trust chain. A pure function of the config,
 * its plan and (once deployed) the stack outputs; renderers (render.ts) turn it into DOT or Mermaid.
 */
import { X509Certificate } from "crypto";
import { MeshConfig } from "../stacks/config";
import { splitPems } from "../stacks/deployed";
import { rootCommonName, rootGenerationOf } from "../stacks/root-guard";
import { rootPlan } from "../stacks/rotation";
import { MeshPlan } from "../stacks/topology";
import { MeshOutputs } from "./stack";

export type Mode = "planned" | "deployed";

export interface MeshGraph {
    readonly mode: Mode;
    readonly title: string;
    readonly clouds: readonly CloudGroup[];
    readonly trust: TrustChain;
    readonly edges: readonly Edge[];
    /** Footnotes: stand-ins, values not yet known. */
    readonly notes: readonly string[];
}

export interface CloudGroup {
    readonly id: string;
    readonly label: string;
    readonly networks: readonly NetworkGroup[];
}

export interface NetworkGroup {
    readonly id: string;
    readonly label: string;
    readonly clusters: readonly ClusterNode[];
}

export interface ClusterNode {
    readonly id: string;
    readonly name: string;
    readonly role: "primary" | "remote";
    /** Detail lines under the name, in order. */
    readonly lines: readonly string[];
}

export interface CaNode {
    readonly id: string;
    readonly label: string;
    readonly lines: readonly string[];
}

export interface TrustChain {
    /** Every trusted root, oldest first: one, or two during a root rotation. */
    readonly roots: readonly CaNode[];
    /** The root that signs the intermediates. */
    readonly issuing: CaNode;
    readonly intermediates: readonly CaNode[];
}

export type EdgeKind = "issues" | "cacerts" | "serves" | "watches";

export interface Edge {
    readonly from: string;
    readonly to: string;
    readonly kind: EdgeKind;
    readonly label: string;
    /** Both ends do it (two primaries watching each other). */
    readonly mutual?: boolean;
}

const CLOUDS: Record<string, string> = { aws: "AWS (EKS)", azure: "Azure (AKS)", existing: "Existing clusters" };

/** A DOT/Mermaid-safe identifier for a name (cluster names are DNS labels; networks are label values). */
export function nodeId(prefix: string, name: string): string {
    return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, (ch) => `_${ch.charCodeAt(0).toString(16)}`)}`;
}

export function meshGraph(config: MeshConfig, plan: MeshPlan, outputs?: MeshOutputs, standIns: readonly string[] = []): MeshGraph {
    const mode: Mode = outputs ? "deployed" : "planned";
    const notes = [...standIns];
    const clusterId = (name: string) => nodeId("k8s", name);

    const clouds: CloudGroup[] = [];
    for (const provider of ["aws", "azure", "existing"]) {
        const inCloud = plan.clusters.filter((p) => p.cluster.provider === provider);
        if (inCloud.length === 0) continue;
        const networks = [...new Set(inCloud.map((p) => p.cluster.network))].map(
            (network): NetworkGroup => ({
                id: nodeId(`net_${provider}`, network),
                label: `network ${network}`,
                clusters: inCloud.filter((p) => p.cluster.network === network).map((p): ClusterNode => {
                    const c = p.cluster;
                    const out = outputs?.clusters?.[c.name];
                    const lines = [p.isPrimary ? "primary: runs istiod" : `remote of ${c.primary}`];
                    if (c.region) lines.push(`region ${c.region}`);
                    if (out?.apiServer) lines.push(`API ${out.apiServer}`);
                    if (p.eastWestGateway) {
                        const address = out?.eastWestGatewayAddress;
                        lines.push(`east-west gateway ${address ?? (mode === "deployed" ? "(no address)" : "(LoadBalancer)")}`);
                        const exposes = [p.crossNetworkGateway ? "15443 cross-network" : "", p.exposeIstiod ? "15012/15017 istiod" : ""].filter(Boolean);
                        if (exposes.length > 0) lines.push(`  exposes ${exposes.join(", ")}`);
                    }
                    return { id: clusterId(c.name), name: c.name, role: p.isPrimary ? "primary" : "remote", lines };
                }),
            }),
        );
        clouds.push({ id: nodeId("cloud", provider), label: CLOUDS[provider] ?? provider, networks });
    }

    const { roots, issuing } = rootNodes(config, outputs, notes);
    const primaries = plan.clusters.filter((p) => p.isPrimary);
    const trustLine = roots.length > 1 ? [`root-cert.pem: ${roots.map((r) => r.label).join(" + ")}`] : [];
    const intermediates = primaries.map(
        (p): CaNode => ({
            id: nodeId("ca", p.cluster.name),
            label: `intermediate CA ${p.cluster.name}`,
            lines: [`L=${p.cluster.name}, ${config.pki.intermediateValidityDays} d`, `re-issued after ${Math.round((config.pki.intermediateValidityDays * 2) / 3)} d`, ...trustLine],
        }),
    );

    const edges: Edge[] = [];
    for (const ca of intermediates) edges.push({ from: issuing.id, to: ca.id, kind: "issues", label: "signs" });
    for (const p of primaries) edges.push({ from: nodeId("ca", p.cluster.name), to: clusterId(p.cluster.name), kind: "cacerts", label: "cacerts" });
    const isPrimary = new Set(primaries.map((p) => p.cluster.name));
    for (const p of primaries) {
        for (const watched of p.watches) {
            const serves = p.remotes.includes(watched);
            // Two primaries watch each other: one edge with both arrowheads.
            const mutual = !serves && isPrimary.has(watched);
            if (mutual && watched < p.cluster.name) continue;
            edges.push({
                from: clusterId(p.cluster.name),
                to: clusterId(watched),
                kind: serves ? "serves" : "watches",
                label: serves ? "serves (xDS, injection) + watches" : mutual ? "watch each other" : "watches",
                ...(mutual ? { mutual } : {}),
            });
        }
    }
    if (mode === "deployed" && !outputs?.rootCertificatePem) notes.push("the outputs hold no rootCertificatePem");
    if (config.pki.rotation) notes.push(`root rotation in progress: phase ${config.pki.rotation.phase}`);
    const title = `mesh ${config.meshId} (trust domain ${config.trustDomain}, Istio ${config.istio.version}): ${mode}`;
    return { mode, title, clouds, trust: { roots, issuing, intermediates }, edges, notes };
}

interface RootFacts {
    readonly generation: number;
    readonly pem?: string;
}

/**
 * The trusted roots: from the outputs once deployed (`trustBundlePem`, `rootCertificatePem` the
 * issuing one), else as the config plans them (stacks/rotation.ts: two roots during a rotation).
 */
function rootNodes(config: MeshConfig, outputs: MeshOutputs | undefined, notes: string[]): { roots: CaNode[]; issuing: CaNode } {
    let facts: RootFacts[];
    let issuingGeneration: number;
    const deployed = outputs?.rootCertificatePem;
    if (deployed) {
        try {
            facts = splitPems(outputs?.trustBundlePem ?? deployed).map((pem) => ({ generation: rootGenerationOf(pem), pem }));
            issuingGeneration = rootGenerationOf(deployed);
            if (!facts.some((f) => f.generation === issuingGeneration)) facts.push({ generation: issuingGeneration, pem: deployed });
        } catch (e) {
            notes.push(`the root certificates in the outputs do not parse: ${(e as Error).message}`);
            facts = [{ generation: 1 }];
            issuingGeneration = 1;
        }
    } else {
        const p = rootPlan(config.pki);
        facts = p.roots.map((generation) => ({ generation }));
        issuingGeneration = p.issuing;
    }
    const many = facts.length > 1;
    const roots = facts.map((f): CaNode => {
        const lines = [`${config.pki.keyAlgorithm}, ${config.pki.rootValidityDays} d`];
        if (f.pem) {
            const cert = new X509Certificate(f.pem);
            lines.splice(0, 1, cert.subject.split("\n").join(", "), `valid until ${isoDay(new Date(cert.validTo))}`, `SHA-256 ${cert.fingerprint256.slice(0, 23)}…`);
        } else lines.unshift(`CN=${rootCommonName(config.meshId, f.generation)}, O=${config.pki.organization}`);
        if (many) lines.push(f.generation === issuingGeneration ? "issues the intermediates" : f.generation < issuingGeneration ? "still trusted, retiring" : "trusted, not yet issuing");
        return { id: many ? `ca_root_${f.generation}` : "ca_root", label: many ? `root CA ${f.generation}` : "root CA", lines };
    });
    return { roots, issuing: roots[facts.findIndex((f) => f.generation === issuingGeneration)] };
}

function isoDay(d: Date): string {
    return d.toISOString().slice(0, 10);
}
