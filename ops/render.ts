/**
 * Renderers of the mesh graph (graph.ts): Graphviz DOT, laid out as SVG by Graphviz itself (the
 * WebAssembly build in @viz-js/viz, so no system package is needed wherever `npm ci` ran), and
 * Mermaid, which GitHub renders inline in a pull-request comment.
 */
import { instance } from "@viz-js/viz";
import { ClusterNode, EdgeKind, MeshGraph } from "./graph";

/** SVG of a DOT graph; throws with Graphviz's own messages when the DOT is invalid. */
export async function dotToSvg(dot: string): Promise<string> {
    const result = (await instance()).render(dot, { format: "svg" });
    if (result.status !== "success") throw new Error(`Graphviz: ${result.errors.map((e) => e.message.trim()).join("; ")}`);
    return result.output;
}

const FILL = { primary: "#dbeafe", remote: "#f1f5f9", ca: "#dcfce7" } as const;
const STROKE = { primary: "#1d4ed8", remote: "#64748b", ca: "#15803d" } as const;

/** Text inside a Graphviz HTML-like label. */
export function dotHtml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function dotLabel(title: string, lines: readonly string[]): string {
    const rest = lines.map((l) => `<br align="left"/><font point-size="9">${dotHtml(l).replace(/^ +/, (s) => "&nbsp;".repeat(s.length))}</font>`).join("");
    return `<<b>${dotHtml(title)}</b>${rest}<br align="left"/>>`;
}

const DOT_EDGE: Record<EdgeKind, string> = {
    issues: `color="${STROKE.ca}", fontcolor="${STROKE.ca}"`,
    cacerts: `color="${STROKE.ca}", fontcolor="${STROKE.ca}", style=dashed`,
    serves: `color="${STROKE.primary}", fontcolor="${STROKE.primary}", penwidth=2`,
    watches: `color="#94a3b8", fontcolor="#64748b", style=dashed`,
};

export function toDot(g: MeshGraph): string {
    const out: string[] = [];
    const title = [g.title, ...g.notes.map((n) => `note: ${n}`)].map(dotHtml).join("<br/>");
    out.push("digraph mesh {");
    out.push(`  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, label=<${title}>, nodesep=0.35, ranksep=1.1];`);
    out.push(`  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, margin="0.15,0.08"];`);
    out.push(`  edge [fontname="Helvetica", fontsize=9];`);
    for (const cloud of g.clouds) {
        out.push(`  subgraph cluster_${cloud.id} {`);
        out.push(`    label=<<b>${dotHtml(cloud.label)}</b>>; style=rounded; color="#475569";`);
        for (const net of cloud.networks) {
            out.push(`    subgraph cluster_${net.id} {`);
            out.push(`      label="${dotHtml(net.label)}"; style="rounded,dashed"; color="#94a3b8";`);
            for (const c of net.clusters) out.push(`      ${clusterDot(c)}`);
            out.push("    }");
        }
        out.push("  }");
    }
    out.push("  subgraph cluster_trust {");
    out.push(`    label=<<b>trust chain</b>>; style=rounded; color="${STROKE.ca}";`);
    for (const ca of [...g.trust.roots, ...g.trust.intermediates]) {
        out.push(`    ${ca.id} [label=${dotLabel(ca.label, ca.lines)}, fillcolor="${FILL.ca}", color="${STROKE.ca}"];`);
    }
    out.push("  }");
    for (const e of g.edges) out.push(`  ${e.from} -> ${e.to} [label="${dotHtml(e.label)}", ${DOT_EDGE[e.kind]}${e.mutual ? ", dir=both" : ""}];`);
    out.push("}");
    return out.join("\n") + "\n";
}

function clusterDot(c: ClusterNode): string {
    return `${c.id} [label=${dotLabel(c.name, c.lines)}, fillcolor="${FILL[c.role]}", color="${STROKE[c.role]}"];`;
}

/** Text inside a quoted Mermaid label or an edge label (entity codes, no raw quotes, pipes or angle brackets). */
export function mermaidText(text: string): string {
    return text.replace(/&/g, "#amp;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;").replace(/\|/g, "#124;");
}

const MERMAID_ARROW: Record<EdgeKind, (label: string) => string> = {
    issues: (l) => `-->|${l}|`,
    cacerts: (l) => `-.->|${l}|`,
    serves: (l) => `==>|${l}|`,
    watches: (l) => `-.->|${l}|`,
};

export function toMermaid(g: MeshGraph): string {
    // Front matter title: YAML, so quoted.
    const out: string[] = ["---", `title: ${JSON.stringify([g.title, ...g.notes.map((n) => `note: ${n}`)].join("; "))}`, "---", "flowchart LR"];
    const label = (title: string, lines: readonly string[]) => `["${[`<b>${mermaidText(title)}</b>`, ...lines.map((l) => mermaidText(l.trim()))].join("<br/>")}"]`;
    for (const cloud of g.clouds) {
        out.push(`  subgraph ${cloud.id}["${mermaidText(cloud.label)}"]`);
        for (const net of cloud.networks) {
            out.push(`    subgraph ${net.id}["${mermaidText(net.label)}"]`);
            for (const c of net.clusters) out.push(`      ${c.id}${label(c.name, c.lines)}`);
            out.push("    end");
        }
        out.push("  end");
    }
    out.push(`  subgraph trust["trust chain"]`);
    for (const ca of [...g.trust.roots, ...g.trust.intermediates]) out.push(`    ${ca.id}${label(ca.label, ca.lines)}`);
    out.push("  end");
    for (const e of g.edges) out.push(`  ${e.from} ${e.mutual ? "<" : ""}${MERMAID_ARROW[e.kind](mermaidText(e.label))} ${e.to}`);
    const ids = (role: "primary" | "remote") => g.clouds.flatMap((c) => c.networks.flatMap((n) => n.clusters.filter((x) => x.role === role).map((x) => x.id)));
    for (const role of ["primary", "remote"] as const) {
        out.push(`  classDef ${role} fill:${FILL[role]},stroke:${STROKE[role]}`);
        if (ids(role).length > 0) out.push(`  class ${ids(role).join(",")} ${role}`);
    }
    out.push(`  classDef ca fill:${FILL.ca},stroke:${STROKE.ca}`);
    out.push(`  class ${[...g.trust.roots, ...g.trust.intermediates].map((c) => c.id).join(",")} ca`);
    return out.join("\n") + "\n";
}
