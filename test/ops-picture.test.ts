/** The mesh picture: the graph model (ops/graph.ts), its renderers (ops/render.ts) and the planned config (ops/stack.ts). */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { ConfigError, MeshConfig, parseMeshConfig } from "../stacks/config";
import { planMesh } from "../stacks/topology";
import { meshGraph, nodeId } from "../ops/graph";
import { dotHtml, dotToSvg, mermaidText, toDot, toMermaid } from "../ops/render";
import { parsePlannedConfig, readStackConfigFile } from "../ops/stack";
import { rootCa } from "./support/certs";

const REPO = path.join(__dirname, "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-picture-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The local stack's shape, with kubeconfigs that exist. */
function localLike(): Record<string, unknown> {
    const existing = (name: string) => {
        const file = path.join(tmp, `${name}.kubeconfig`);
        fs.writeFileSync(file, `apiVersion: v1\nkind: Config\ncurrent-context: ${name}\nclusters:\n- name: ${name}\n  cluster:\n    server: https://127.0.0.1:3240${name.slice(1)}\nusers:\n- name: ${name}\n  user:\n    token: t\ncontexts:\n- name: ${name}\n  context:\n    cluster: ${name}\n    user: ${name}\n`);
        return { kubeconfig: file };
    };
    return {
        meshId: "local-mesh",
        pki: { organization: "Local Mesh", rootValidityDays: 365, intermediateValidityDays: 90 },
        clusters: [
            { name: "c1", provider: "existing", network: "net1", existing: existing("c1") },
            { name: "c2", provider: "existing", network: "net2", existing: existing("c2") },
            { name: "c3", provider: "existing", network: "net3", role: "remote", primary: "c1", existing: existing("c3") },
            { name: "c4", provider: "existing", network: "net2", role: "remote", primary: "c2", existing: existing("c4") },
        ],
        // No in-cluster Prometheus: the picture is about Istio (Pulumi.local.yaml installs one from test/e2e/charts).
        observability: { metrics: { enabled: false }, global: { enabled: false }, grafana: { enabled: false } },
    };
}

const graphOf = (config: MeshConfig, outputs?: Parameters<typeof meshGraph>[2]) => meshGraph(config, planMesh(config), outputs);

describe("the graph model", () => {
    test("planned: clusters by cloud and network, who serves and watches whom, the trust chain", () => {
        const g = graphOf(parseMeshConfig(localLike()));
        expect(g.mode).toBe("planned");
        expect(g.clouds.map((c) => [c.label, c.networks.map((n) => [n.label, n.clusters.map((x) => `${x.name}:${x.role}`)])])).toEqual([
            ["Existing clusters", [["network net1", ["c1:primary"]], ["network net2", ["c2:primary", "c4:remote"]], ["network net3", ["c3:remote"]]]],
        ]);
        const c1 = g.clouds[0].networks[0].clusters[0];
        expect(c1.lines).toEqual(["primary: runs istiod", "east-west gateway (LoadBalancer)", "  exposes 15443 cross-network, 15012/15017 istiod"]);
        expect(g.clouds[0].networks[1].clusters[1].lines).toEqual(["remote of c2", "east-west gateway (LoadBalancer)"]);
        const name = (id: string) => id.replace(/^(k8s|ca)_/, "");
        expect(g.edges.map((e) => `${name(e.from)} ${e.kind}${e.mutual ? " (mutual)" : ""} ${name(e.to)}: ${e.label}`)).toEqual([
            "root issues c1: signs",
            "root issues c2: signs",
            "c1 cacerts c1: cacerts",
            "c2 cacerts c2: cacerts",
            "c1 watches (mutual) c2: watch each other",
            "c1 serves c3: serves (xDS, injection) + watches",
            "c1 watches c4: watches",
            "c2 watches c3: watches",
            "c2 serves c4: serves (xDS, injection) + watches",
        ]);
        expect(g.trust.roots.map((r) => [r.id, ...r.lines])).toEqual([["ca_root", "CN=local-mesh Root CA, O=Local Mesh", "ECDSA, 365 d"]]);
        expect(g.trust.intermediates.map((i) => [i.label, ...i.lines])).toEqual([
            ["intermediate CA c1", "L=c1, 90 d", "re-issued after 60 d"],
            ["intermediate CA c2", "L=c2, 90 d", "re-issued after 60 d"],
        ]);
    });

    test("deployed: API servers, gateway addresses and the root certificate from the outputs", async () => {
        const root = await rootCa("local-mesh", new Date("2026-01-01T00:00:00Z"), 365);
        const g = graphOf(parseMeshConfig(localLike()), {
            rootCertificatePem: root.pem,
            clusters: { c1: { apiServer: "https://127.0.0.1:32401", eastWestGatewayAddress: "gw-1.elb.c1.mesh.test" }, c2: { apiServer: "https://127.0.0.1:32402" } },
        });
        expect(g.mode).toBe("deployed");
        expect(g.clouds[0].networks[0].clusters[0].lines).toEqual(["primary: runs istiod", "API https://127.0.0.1:32401", "east-west gateway gw-1.elb.c1.mesh.test", "  exposes 15443 cross-network, 15012/15017 istiod"]);
        expect(g.clouds[0].networks[1].clusters[0].lines).toContain("east-west gateway (no address)");
        expect(g.trust.roots).toHaveLength(1);
        expect(g.trust.roots[0].lines.slice(0, 2)).toEqual(["CN=local-mesh Root CA, O=local-mesh", "valid until 2027-01-01"]);
        expect(g.trust.roots[0].lines[2]).toMatch(/^SHA-256 [0-9A-F:]{23}…$/);
    });

    test("mid root rotation: both roots, the new one signing, as planned and as deployed", async () => {
        const raw = { ...localLike(), pki: { organization: "Local Mesh", rootValidityDays: 365, intermediateValidityDays: 90, rotation: { phase: "issue" } } };
        const planned = graphOf(parseMeshConfig(raw));
        expect(planned.trust.roots.map((r) => [r.id, r.label, r.lines[0], r.lines[r.lines.length - 1]])).toEqual([
            ["ca_root_1", "root CA 1", "CN=local-mesh Root CA, O=Local Mesh", "still trusted, retiring"],
            ["ca_root_2", "root CA 2", "CN=local-mesh Root CA 2, O=Local Mesh", "issues the intermediates"],
        ]);
        expect(planned.edges.filter((e) => e.kind === "issues").map((e) => `${e.from} → ${e.to}`)).toEqual(["ca_root_2 → ca_c1", "ca_root_2 → ca_c2"]);
        expect(planned.trust.intermediates[0].lines).toContain("root-cert.pem: root CA 1 + root CA 2");
        expect(planned.notes).toContain("root rotation in progress: phase issue");

        // Phase trust, deployed: the old root still signs; trustBundlePem holds both.
        const from = new Date("2026-01-01T00:00:00Z");
        const [old, next] = [await rootCa("local-mesh", from, 365), await rootCa("local-mesh", from, 365, "local-mesh Root CA 2")];
        const deployed = graphOf(parseMeshConfig({ ...raw, pki: { ...raw.pki, rotation: { phase: "trust" } } }), { rootCertificatePem: old.pem, trustBundlePem: old.pem + next.pem });
        expect(deployed.trust.roots.map((r) => [r.label, r.lines[0], r.lines[r.lines.length - 1]])).toEqual([
            ["root CA 1", "CN=local-mesh Root CA, O=local-mesh", "issues the intermediates"],
            ["root CA 2", "CN=local-mesh Root CA 2, O=local-mesh", "trusted, not yet issuing"],
        ]);
        expect(deployed.trust.issuing.id).toBe("ca_root_1");
    });

    test("the production stack: clouds apart, each network its own box", () => {
        const { config } = parsePlannedConfig(readStackConfigFile(path.join(REPO, "Pulumi.prod.yaml")));
        const g = graphOf(config);
        expect(g.clouds.map((c) => [c.label, c.networks.map((n) => n.clusters.map((x) => x.name).join())])).toEqual([
            ["AWS (EKS)", ["aws-east", "aws-west"]],
            ["Azure (AKS)", ["azure-west"]],
        ]);
        expect(g.clouds[0].networks[0].clusters[0].lines).toContain("region us-east-1");
    });

    test("node ids are unique and safe for DOT and Mermaid, whatever the names", () => {
        fc.assert(
            fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 8 }), (names) => {
                const ids = names.map((n) => nodeId("net", n));
                return new Set(ids).size === names.length && ids.every((id) => /^[A-Za-z0-9_]+$/.test(id));
            }),
        );
    });
});

describe("planned config without the deploying machine's files", () => {
    test("absent kubeconfigs and chart directory are stood in for, and said so", () => {
        const raw: Record<string, unknown> = { ...localLike(), istio: { chartRepository: "/nonexistent/charts" } };
        (raw.clusters as any[])[1].existing = { kubeconfig: "/nonexistent/c2.kubeconfig", context: "kwok-mesh-c2" };
        const { config, standIns, unread } = parsePlannedConfig(raw);
        expect(unread).toEqual(["c2"]);
        expect(standIns).toEqual(["kubeconfigs of c2 not read (not on this machine)", "chart directory /nonexistent/charts not on this machine"]);
        expect(config.clusters[1].existing!.context).toBe("kwok-mesh-c2");
    });

    test("the local stack file renders on a machine without its clusters", () => {
        const raw = readStackConfigFile(path.join(REPO, "Pulumi.local.yaml"));
        const { config } = parsePlannedConfig(raw);
        expect(config.clusters.map((c) => `${c.name}/${c.network}/${c.role}`)).toEqual(["c1/net1/primary", "c2/net2/primary", "c3/net3/remote", "c4/net2/remote"]);
    });

    test("any other problem is the config's and is thrown", () => {
        const raw = localLike();
        (raw.clusters as any[])[0].network = "bad network";
        (raw.clusters as any[])[1].existing = { kubeconfig: "/nonexistent/c2.kubeconfig" };
        expect(() => parsePlannedConfig(raw)).toThrow(ConfigError);
    });
});

describe("renderers", () => {
    const g = () => graphOf(parseMeshConfig(localLike()));

    test("DOT: one Graphviz cluster per cloud and network, HTML labels escaped, mutual watches double-headed", () => {
        const dot = toDot(g());
        expect(dot).toMatch(/^digraph mesh \{/);
        expect(dot).toContain("subgraph cluster_cloud_existing {");
        expect(dot).toContain("subgraph cluster_net_existing_net2 {");
        expect(dot).toContain('k8s_c1 -> k8s_c2 [label="watch each other", color="#94a3b8", fontcolor="#64748b", style=dashed, dir=both];');
        expect(dot).toContain('k8s_c1 -> k8s_c3 [label="serves (xDS, injection) + watches", color="#1d4ed8", fontcolor="#1d4ed8", penwidth=2];');
        expect(dotHtml(`a<b>&"c"`)).toBe("a&lt;b&gt;&amp;&quot;c&quot;");
    });

    test("Graphviz (WebAssembly, no system package) lays the DOT out as an SVG naming every cluster and root", async () => {
        const svg = await dotToSvg(toDot(g()));
        expect(svg).toContain("<svg");
        for (const c of ["c1", "c2", "c3", "c4", "root CA"]) expect(svg).toContain(`>${c}</text>`);
        await expect(dotToSvg("digraph { a -> }")).rejects.toThrow(/^Graphviz: .*syntax error/);
    });

    test("Mermaid (GitHub renders it in a pull-request comment): nested subgraphs, entity-escaped labels", () => {
        const m = toMermaid(g());
        expect(m.split("\n").slice(0, 4)).toEqual(["---", 'title: "mesh local-mesh (trust domain cluster.local, Istio 1.30.3): planned"', "---", "flowchart LR"]);
        expect(m).toContain('  subgraph cloud_existing["Existing clusters"]');
        expect(m).toContain("  k8s_c1 <-.->|watch each other| k8s_c2");
        expect(m).toContain("  k8s_c1 ==>|serves (xDS, injection) + watches| k8s_c3");
        expect(m).toContain("  class k8s_c1,k8s_c2 primary");
        expect(mermaidText('a "b" <c> | &')).toBe("a #quot;b#quot; #lt;c#gt; #124; #amp;");
    });
});
