/**
 * Application teams get least privilege: namespaces, a ServiceAccount bound to a built-in role in
 * those namespaces only, and its token as their kubeconfig. Admin kubeconfigs stay out of the
 * outputs unless explicitly asked for.
 */
import * as YAML from "yaml";
import { parseMeshConfig } from "../stacks/config";
import { reveal } from "./support/mocks";
import { isSecret, MeshRun, promiseOf, runMesh } from "./support/run";
import { twoPrimariesAndRemote } from "./support/topologies";
import { configProblems } from "./support/config";

const teams = [
    { name: "payments", namespaces: ["payments", "payments-jobs"], role: "admin" },
    { name: "web", namespaces: ["web"], clusters: ["aws-east", "aws-west"] },
];

describe("teams", () => {
    let run: MeshRun;
    beforeAll(async () => {
        run = await runMesh(parseMeshConfig({ ...twoPrimariesAndRemote(), access: { teams } }));
    });

    test("each team's namespaces exist in its clusters only, enrolled in injection", () => {
        const namespaces = run.mocks.ofType("kubernetes:core/v1:Namespace").filter((r) => r.inputs.metadata.labels?.["mesh.example/team"]);
        expect(namespaces.map((r) => r.name).sort()).toEqual([
            "mesh-aws-east-access-payments-payments",
            "mesh-aws-east-access-payments-payments-jobs",
            "mesh-aws-east-access-web-web",
            "mesh-aws-west-access-payments-payments",
            "mesh-aws-west-access-payments-payments-jobs",
            "mesh-aws-west-access-web-web",
            "mesh-azure-west-access-payments-payments",
            "mesh-azure-west-access-payments-payments-jobs",
        ]);
        for (const ns of namespaces) expect(ns.inputs.metadata.labels["istio-injection"]).toBe("enabled");
    });

    test("the team's ServiceAccount is bound to its role in its namespaces and nowhere else", () => {
        const bindings = run.mocks.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").filter((r) => r.name.startsWith("mesh-aws-east-access-"));
        expect(bindings.map((b) => [b.inputs.metadata.namespace, b.inputs.roleRef.name, b.inputs.subjects])).toEqual([
            ["payments", "admin", [{ kind: "ServiceAccount", name: "payments", namespace: "mesh-access" }]],
            ["payments-jobs", "admin", [{ kind: "ServiceAccount", name: "payments", namespace: "mesh-access" }]],
            ["web", "edit", [{ kind: "ServiceAccount", name: "web", namespace: "mesh-access" }]],
        ]);
        expect(run.mocks.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")).toEqual([]);
        for (const b of bindings) expect(b.inputs.roleRef.kind).toBe("ClusterRole");
        const accounts = run.mocks.ofType("kubernetes:core/v1:ServiceAccount").filter((r) => r.name.startsWith("mesh-aws-east-access-"));
        expect(accounts.map((a) => a.inputs.metadata)).toEqual([
            { name: "payments", namespace: "mesh-access" },
            { name: "web", namespace: "mesh-access" },
        ]);
    });

    test("outputs: a secret token kubeconfig per team and cluster, defaulting to the team's namespace", async () => {
        const out = run.outputs.teams;
        expect(Object.keys(out)).toEqual(["payments", "web"]);
        expect(out.web).toMatchObject({ role: "edit", namespaces: ["web"] });
        expect(Object.keys(out.web.clusters)).toEqual(["aws-east", "aws-west"]);
        expect(Object.keys(out.payments.clusters)).toEqual(["aws-east", "azure-west", "aws-west"]);
        const kc = out.web.clusters["aws-east"].kubeconfig;
        expect(await isSecret(kc)).toBe(true);
        const doc = YAML.parse(await promiseOf(kc));
        expect(doc.users[0].user).toEqual({ token: "token-of-aws-east" });
        expect(doc.clusters[0].cluster.server).toBe("https://aws-east.gr7.eks.amazonaws.com");
        expect(doc.contexts[0].context.namespace).toBe("web");
        // The token Secret's data is secret in state too.
        const token = run.mocks.named("mesh-aws-east-access-web-token");
        expect(token.inputs).toMatchObject({ type: "kubernetes.io/service-account-token", metadata: { name: "web-token", namespace: "mesh-access", annotations: { "kubernetes.io/service-account.name": "web" } } });
    });

    test("no admin kubeconfig in the outputs", () => {
        for (const c of Object.values(run.outputs.clusters)) expect(c.adminKubeconfig).toBeUndefined();
    });
});

test("admin kubeconfigs only behind mesh:access.adminKubeconfigOutputs, and secret", async () => {
    const run = await runMesh(parseMeshConfig({ ...twoPrimariesAndRemote(), access: { adminKubeconfigOutputs: true } }));
    for (const c of Object.values(run.outputs.clusters)) expect(await isSecret(c.adminKubeconfig!)).toBe(true);
    expect(reveal(await promiseOf(run.outputs.clusters["azure-west"].adminKubeconfig!))).toContain("admin kubeconfig of azure-west");
    expect(run.mocks.ofType("kubernetes:core/v1:ServiceAccount")).toEqual([]);
});

test("team config is checked with the rest, every problem at once", () => {
    expect(
        configProblems({
            ...twoPrimariesAndRemote(),
            access: {
                teams: [
                    { name: "a", namespaces: ["shared", "istio-system"] },
                    { name: "a", namespaces: ["x"], clusters: ["nowhere"] },
                    { name: "b", namespaces: ["other"], clusters: ["aws-east"], role: "cluster-admin" },
                    { name: "c", namespaces: ["shared"], clusters: ["azure-west"] },
                ],
                extra: true,
            },
        }),
    ).toEqual([
        "mesh:access.extra: unknown key",
        "mesh:access.teams[2].role: must be one of view, edit, admin",
        'mesh:access.teams[0].namespaces[1]: "istio-system" belongs to the platform (reserved: default, kube-system, kube-public, kube-node-lease, istio-system, mesh-access)',
        'mesh:access.teams[1].name: "a" is already the name of mesh:access.teams[0]; team names must be unique',
        'mesh:access.teams[1].clusters: "nowhere" is not the name of a cluster in mesh:clusters',
        'mesh:access.teams[3].namespaces[0]: "shared" in cluster "azure-west" is already mesh:access.teams[0]\'s; a namespace has one team',
    ]);
});
