/**
 * Root CA rotation as explicit phases: what each phase is (stacks/rotation.ts), that phases follow
 * one another one `up` at a time (checked against what the stack last exported), and what each
 * phase changes in the graph.
 */
import { parseMeshConfig } from "../stacks/config";
import { DeployedMesh, deployedProblems } from "../stacks/deployed";
import { rootPlan, RotationPhase } from "../stacks/rotation";
import { graphDiff } from "./support/diff";
import { issueRoot } from "./support/pki";
import { runMesh } from "./support/run";
import { twoPrimariesAndRemote } from "./support/topologies";

const raw = (rootGeneration = 1, phase?: RotationPhase) => {
    const r = twoPrimariesAndRemote() as Record<string, any>;
    return { ...r, pki: { ...r.pki, rootGeneration, ...(phase ? { rotation: { phase } } : {}) } };
};

test("the phases: trust adds the next root, issue moves the intermediates to it, retire drops the old one", () => {
    expect(rootPlan({ rootGeneration: 1 })).toEqual({ roots: [1], issuing: 1, multiRoot: false });
    expect(rootPlan({ rootGeneration: 1, rotation: { phase: "trust" } })).toEqual({ roots: [1, 2], issuing: 1, multiRoot: true });
    expect(rootPlan({ rootGeneration: 1, rotation: { phase: "issue" } })).toEqual({ roots: [1, 2], issuing: 2, multiRoot: true });
    expect(rootPlan({ rootGeneration: 1, rotation: { phase: "retire" } })).toEqual({ roots: [2], issuing: 2, multiRoot: true });
    expect(rootPlan({ rootGeneration: 2 })).toEqual({ roots: [2], issuing: 2, multiRoot: false });
});

describe("phases follow one another, one up each, checked against the deployed roots", () => {
    let root1: string;
    let root2: string;
    beforeAll(async () => {
        root1 = await issueRoot(raw(), 1);
        root2 = await issueRoot(raw(), 2);
    });
    const deployedAt = (phase: RotationPhase | "none" | "done") => {
        switch (phase) {
            case "none":
                return { rootCertificatePem: root1, trustBundlePem: root1 };
            case "trust":
                return { rootCertificatePem: root1, trustBundlePem: root1 + root2 };
            case "issue":
                return { rootCertificatePem: root2, trustBundlePem: root1 + root2 };
            case "retire":
            case "done":
                return { rootCertificatePem: root2, trustBundlePem: root2 };
        }
    };
    const problems = (config: ReturnType<typeof raw>, deployed: DeployedMesh) => deployedProblems(parseMeshConfig(config), deployed);

    test("each step forward is allowed, and so is staying", () => {
        expect(problems(raw(1, "trust"), deployedAt("none"))).toEqual([]);
        expect(problems(raw(1, "issue"), deployedAt("trust"))).toEqual([]);
        expect(problems(raw(1, "retire"), deployedAt("issue"))).toEqual([]);
        expect(problems(raw(2), deployedAt("retire"))).toEqual([]);
        expect(problems(raw(1, "issue"), deployedAt("issue"))).toEqual([]);
        // A stack deployed before trustBundlePem existed trusts its root alone.
        expect(problems(raw(1, "trust"), { rootCertificatePem: root1 })).toEqual([]);
    });

    test("going back is allowed while the old root exists: abandon in trust, re-issue from the old root in issue", () => {
        expect(problems(raw(1), deployedAt("trust"))).toEqual([]);
        expect(problems(raw(1, "trust"), deployedAt("issue"))).toEqual([]);
        expect(problems(raw(1, "issue"), deployedAt("retire"))).toEqual([expect.stringMatching(/^mesh:pki\.rotation\.phase: phase issue of the rotation from root 1 \(trusting root 1 and 2, issuing from 2\) cannot follow what is deployed \(trusting root 2, issuing from 2\)/)]);
    });

    test("a skipped phase, or a new generation without the phases, is refused with the order of the phases", () => {
        expect(problems(raw(1, "issue"), deployedAt("none"))).toEqual([
            "mesh:pki.rotation.phase: phase issue of the rotation from root 1 (trusting root 1 and 2, issuing from 2) cannot follow what is deployed (trusting root 1, issuing from 1) in one up: the phases go trust, issue, retire, then rootGeneration 2 without rotation, one up each (README: Root CA rotation)",
        ]);
        expect(problems(raw(1, "retire"), deployedAt("trust"))).toHaveLength(1);
        expect(problems(raw(2), deployedAt("none"))).toEqual([
            "mesh:pki.rootGeneration: root 2 alone (trusting root 2, issuing from 2) cannot follow what is deployed (trusting root 1, issuing from 1) in one up: the phases go trust, issue, retire, then rootGeneration 3 without rotation, one up each (README: Root CA rotation)",
        ]);
    });

    test("during a rotation the new root may take new settings; outside one, they are checked against the issuing root", () => {
        const renamed = (config: ReturnType<typeof raw>) => ({ ...config, pki: { ...config.pki, organization: "Renamed Corp" } });
        expect(problems(renamed(raw(1, "trust")), deployedAt("none"))).toEqual([]);
        expect(problems(renamed(raw(1)), deployedAt("none"))).toEqual([expect.stringMatching(/^mesh:pki\.organization: "Renamed Corp" would replace/)]);
    });
});

describe("what each phase changes", () => {
    const intermediates = (names: string[]) => names.filter((n) => /^mesh-pki-(aws-east|azure-west)-/.test(n));
    const remotesAndPrimaries = { "mesh-aws-east-istio-istiod": ["values"], "mesh-azure-west-istio-istiod": ["values"], "mesh-aws-west-istio-base": ["values"], "mesh-aws-west-istio-istiod": ["values"] };
    const cacerts = { "mesh-aws-east-istio-cacerts": ["stringData"], "mesh-azure-west-istio-cacerts": ["stringData"] };

    test("trust: the next root, both roots in every cacerts and remote's CA bundle, multi-root istiods", async () => {
        const d = await graphDiff(parseMeshConfig(raw()), parseMeshConfig(raw(1, "trust")));
        expect([d.created, d.deleted]).toEqual([["mesh-pki-root-2-cert", "mesh-pki-root-2-key"], []]);
        expect(d.changed).toEqual({ ...cacerts, ...remotesAndPrimaries });
        const { mocks } = await runMesh(parseMeshConfig(raw(1, "trust")));
        const values = mocks.named("mesh-aws-east-istio-istiod").inputs.values;
        expect(JSON.stringify(values)).toMatch(/"ISTIO_MULTIROOT_MESH":"true"/);
        expect(JSON.stringify(values)).toMatch(/"PROXY_CONFIG_XDS_AGENT":"true"/);
        expect(mocks.named("mesh-pki-root-2-cert").inputs.subject.commonName).toBe("prod-mesh Root CA 2");
    });

    test("issue: new intermediates from the new root replace the old ones; the old root stays trusted but unprotected", async () => {
        const d = await graphDiff(parseMeshConfig(raw(1, "trust")), parseMeshConfig(raw(1, "issue")));
        expect(intermediates(d.created)).toEqual([
            "mesh-pki-aws-east-root-2-cert",
            "mesh-pki-aws-east-root-2-csr",
            "mesh-pki-aws-east-root-2-key",
            "mesh-pki-azure-west-root-2-cert",
            "mesh-pki-azure-west-root-2-csr",
            "mesh-pki-azure-west-root-2-key",
        ]);
        expect(intermediates(d.deleted)).toEqual(["mesh-pki-aws-east-cert", "mesh-pki-aws-east-csr", "mesh-pki-aws-east-key", "mesh-pki-azure-west-cert", "mesh-pki-azure-west-csr", "mesh-pki-azure-west-key"]);
        expect(d.changed).toEqual(cacerts);
        const { mocks } = await runMesh(parseMeshConfig(raw(1, "issue")));
        expect([mocks.named("mesh-pki-root-key").protect, mocks.named("mesh-pki-root-2-key").protect]).toEqual([false, true]);
    });

    test("retire: the old root goes, every cacerts and remote CA bundle trusts the new root alone", async () => {
        const d = await graphDiff(parseMeshConfig(raw(1, "issue")), parseMeshConfig(raw(1, "retire")));
        expect([d.created, d.deleted]).toEqual([[], ["mesh-pki-root-cert", "mesh-pki-root-key"]]);
        expect(d.changed).toEqual({ ...cacerts, "mesh-aws-west-istio-base": ["values"], "mesh-aws-west-istio-istiod": ["values"] });
    });

    test("done: rootGeneration 2 without rotation turns multi-root trust off, nothing else", async () => {
        const d = await graphDiff(parseMeshConfig(raw(1, "retire")), parseMeshConfig(raw(2)));
        expect(d).toEqual({ created: [], deleted: [], changed: { "mesh-aws-east-istio-istiod": ["values"], "mesh-azure-west-istio-istiod": ["values"] } });
    });
});
