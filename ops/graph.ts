/**
 * The mesh as a picture's model: clusters grouped by cloud and network, which istiod serves and
 * watches which cluster, east-west gateways and the trust chain. A pure function of the config,
 * its plan and (once deployed) the stack outputs; renderers (render.ts) turn it into DOT or Mermaid.
 */
import { X509Certificate } from "crypto";
import { MeshConfig } from "../stacks/config";
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
    readonly root: CaNode;
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

    const root = rootNode(config, outputs?.rootCertificatePem, notes);
    const primaries = plan.clusters.filter((p) => p.isPrimary);
    const intermediates = primaries.map(
        (p): CaNode => ({
            id: nodeId("ca", p.cluster.name),
            label: `intermediate CA ${p.cluster.name}`,
            lines: [`L=${p.cluster.name}, ${config.pki.intermediateValidityDays} d`, `re-issued after ${Math.round((config.pki.intermediateValidityDays * 2) / 3)} d`],
        }),
    );

    const edges: Edge[] = [];
    for (const ca of intermediates) edges.push({ from: root.id, to: ca.id, kind: "issues", label: "signs" });
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
    const title = `mesh ${config.meshId} (trust domain ${config.trustDomain}, Istio ${config.istio.version}): ${mode}`;
    return { mode, title, clouds, trust: { root, intermediates }, edges, notes };
}

function rootNode(config: MeshConfig, pem: string | undefined, notes: string[]): CaNode {
    const lines = [`${config.pki.keyAlgorithm}, ${config.pki.rootValidityDays} d`];
    if (pem) {
        try {
            const cert = new X509Certificate(pem);
            lines.splice(0, 1, cert.subject.split("\n").join(", "), `valid until ${isoDay(new Date(cert.validTo))}`, `SHA-256 ${cert.fingerprint256.slice(0, 23)}…`);
        } catch (e) {
            notes.push(`rootCertificatePem does not parse: ${(e as Error).message}`);
        }
    } else {
        lines.unshift(`CN=${config.meshId} Root CA, O=${config.pki.organization}`);
    }
    return { id: "ca_root", label: "root CA", lines };
}

function isoDay(d: Date): string {
    return d.toISOString().slice(0, 10);
}
