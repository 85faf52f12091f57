/**
 * The library application teams use (lib/): the mesh's outputs, built by the program under
 * mocks and stored as `pulumi up` stores them, read back through a mocked StackReference; and
 * stacks/app, the team program that uses it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { MeshReference } from "../lib";
import { parseMeshConfig } from "../stacks/config";
import { isSecretValue, MeshMocks, providerName, reveal, setMeshMocks, StackState } from "./support/mocks";
import { exportedStack, isSecret, promiseOf, runMesh } from "./support/run";
import { primaryRemoteSingleNetwork, twoPrimariesAndRemote } from "./support/topologies";

const MESH_STACK = "organization/mesh/test";
const teams = [
    { name: "payments", namespaces: ["payments", "payments-jobs"], role: "admin" },
    { name: "web", namespaces: ["web"], clusters: ["aws-east", "aws-west"] },
];

/** A program of the `mesh-app` project reading `stack` as the mesh stack. */
async function appWorld(stack: StackState) {
    const mocks = new MeshMocks(undefined, { stacks: { [MESH_STACK]: stack } });
    await setMeshMocks(mocks, false, "mesh-app");
    return mocks;
}

describe("MeshReference", () => {
    let stack: StackState;
    let mocks: MeshMocks;
    let mesh: MeshReference;
    beforeAll(async () => {
        stack = await exportedStack((await runMesh(parseMeshConfig({ ...twoPrimariesAndRemote(), access: { teams } }))).outputs);
        mocks = await appWorld(stack);
        mesh = await MeshReference.get("mesh", { stack: MESH_STACK });
    });

    test("reads the mesh stack through one StackReference", () => {
        const refs = mocks.ofType("pulumi:pulumi:StackReference");
        expect(refs.map((r) => [r.name, r.id, r.inputs.name])).toEqual([["mesh", MESH_STACK, MESH_STACK]]);
        expect(stack.secretOutputNames).toEqual(["teams"]);
    });

    test("the mesh's identity, root certificate, Istio release and networks", () => {
        expect(mesh.meshId).toBe("prod-mesh");
        expect(mesh.trustDomain).toBe("cluster.local");
        expect(mesh.rootCertificatePem).toBe(stack.outputs.rootCertificatePem);
        expect(mesh.rootCertificatePem).toContain("-----BEGIN CERTIFICATE-----");
        expect(mesh.istio).toEqual({ version: "1.30.3", chartRepository: "https://istio-release.storage.googleapis.com/charts", readerTokenGeneration: 1 });
        expect(mesh.networks).toEqual({ "net-east": ["aws-east"], "net-westeurope": ["azure-west"], "net-west": ["aws-west"] });
    });

    test("clusters by name, network and role", () => {
        expect(mesh.clusterNames).toEqual(["aws-east", "aws-west", "azure-west"]);
        expect(mesh.cluster("aws-west")).toEqual({
            name: "aws-west",
            provider: "aws",
            region: "us-west-2",
            network: "net-west",
            role: "remote",
            primary: "aws-east",
            apiServer: "https://aws-west.gr7.eks.amazonaws.com",
            eastWestGatewayAddress: "aws-west-ew.elb.amazonaws.com",
        });
        expect(mesh.cluster("azure-west")).toMatchObject({ provider: "azure", region: "westeurope", role: "primary", apiServer: "https://azure-west.hcp.westeurope.azmk8s.io:443" });
        expect(mesh.clusters.map((c) => c.name)).toEqual(mesh.clusterNames);
        expect(mesh.clustersOnNetwork("net-east").map((c) => c.name)).toEqual(["aws-east"]);
        expect(mesh.primaries.map((c) => c.name)).toEqual(["aws-east", "azure-west"]);
        expect(mesh.remotes.map((c) => c.name)).toEqual(["aws-west"]);
        expect(mesh.clustersWithRole("remote")).toEqual(mesh.remotes);
    });

    test("east-west gateway addresses: hostnames behind AWS NLBs, IPs elsewhere", () => {
        expect(mesh.eastWestGatewayAddresses).toEqual({
            "aws-east": "aws-east-ew.elb.amazonaws.com",
            "aws-west": "aws-west-ew.elb.amazonaws.com",
            "azure-west": expect.stringMatching(/^203\.0\.113\.\d+$/),
        });
    });

    test("a team: its role, namespaces and clusters", () => {
        const web = mesh.team("web");
        expect([web.name, web.role, web.namespaces, web.namespace, web.clusterNames]).toEqual(["web", "edit", ["web"], "web", ["aws-east", "aws-west"]]);
        expect(web.clusters).toEqual([mesh.cluster("aws-east"), mesh.cluster("aws-west")]);
        expect(mesh.team("payments").clusterNames).toEqual(["aws-east", "aws-west", "azure-west"]);
        expect(mesh.team("web")).toBe(web);
        expect(mesh.teamNames).toEqual(["payments", "web"]);
    });

    test("a team's provider per cluster: its own credential (secret), its namespace, made once", async () => {
        const payments = mesh.team("payments");
        const p = payments.provider("azure-west");
        expect(payments.provider("azure-west")).toBe(p);
        await mocks.settled();
        const recorded = mocks.named("mesh-payments-azure-west-k8s");
        expect(recorded.type).toBe("pulumi:providers:kubernetes");
        expect(recorded.inputs.namespace).toBe("payments");
        expect(isSecretValue(recorded.inputs.kubeconfig)).toBe(true);
        const kubeconfig = reveal(recorded.inputs.kubeconfig);
        expect(kubeconfig).toBe((stack.outputs.teams as any).payments.clusters["azure-west"].kubeconfig);
        const doc = YAML.parse(kubeconfig);
        expect(doc.users[0].user).toEqual({ token: "token-of-azure-west" });
        expect(doc.contexts[0].context.namespace).toBe("payments");
        expect(await isSecret(payments.kubeconfig("aws-east"))).toBe(true);
        expect(await promiseOf(payments.kubeconfig("aws-east"))).toContain("token-of-aws-east");
    });

    test("no credential in anything handed out in the clear", () => {
        const web = mesh.team("web");
        const clear = JSON.stringify({ mesh: { ...mesh, stackReference: undefined }, web: { ...web, mesh: undefined } });
        expect(clear).not.toMatch(/token-of|kubeconfig/i);
    });

    test("what does not exist fails, naming what does", () => {
        expect(() => mesh.cluster("gke-1")).toThrow('the mesh "prod-mesh" has no cluster "gke-1"; its clusters: "aws-east", "aws-west", "azure-west"');
        expect(() => mesh.clustersOnNetwork("net-x")).toThrow('the mesh "prod-mesh" has no network "net-x"; its networks: "net-east", "net-west", "net-westeurope"');
        expect(() => mesh.team("data")).toThrow('the mesh "prod-mesh" has no team "data" (mesh:access.teams); its teams: "payments", "web"');
        const web = mesh.team("web");
        expect(() => web.provider("azure-west")).toThrow('team "web" has no access to cluster "azure-west" (mesh:access.teams[].clusters); its clusters: "aws-east", "aws-west"');
        expect(() => web.provider("gke-1")).toThrow('the mesh "prod-mesh" has no cluster "gke-1"');
        expect(() => web.kubeconfig("gke-1")).toThrow(/no cluster "gke-1"/);
    });
});

test("a cluster without a gateway has no address; admin kubeconfigs are not passed on", async () => {
    const stack = await exportedStack((await runMesh(parseMeshConfig({ ...primaryRemoteSingleNetwork(), access: { adminKubeconfigOutputs: true } }))).outputs);
    expect(stack.secretOutputNames).toEqual(["clusters"]);
    await appWorld(stack);
    const mesh = await MeshReference.get("mesh", { stack: MESH_STACK });
    expect(mesh.eastWestGatewayAddresses).toEqual({ "aws-main": "aws-main-ew.elb.amazonaws.com" });
    expect(mesh.cluster("aws-satellite").eastWestGatewayAddress).toBeUndefined();
    for (const c of mesh.clusters) expect(c).not.toHaveProperty("adminKubeconfig");
    expect(mesh.teamNames).toEqual([]);
    expect(() => mesh.team("team-a")).toThrow('its teams: none');
});

test("a stack that is not a mesh stack is refused before any resource", async () => {
    const mocks = await appWorld({ outputs: { bucketName: "b" }, secretOutputNames: [] });
    await expect(MeshReference.get("mesh", { stack: MESH_STACK })).rejects.toThrow(
        `stack "${MESH_STACK}" has no output "meshId", "trustDomain", "rootCertificatePem", "trustBundlePem", "istio", "networks", "clusters", "teams"`,
    );
    expect(mocks.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:StackReference"]);
});

describe("stacks/app", () => {
    let stack: StackState;
    beforeAll(async () => {
        stack = await exportedStack((await runMesh(parseMeshConfig({ ...twoPrimariesAndRemote(), access: { teams } }))).outputs);
    });

    async function runApp(team: string) {
        const mocks = await appWorld(stack);
        pulumi.runtime.setAllConfig({ "mesh-app:meshStack": MESH_STACK, "mesh-app:team": team });
        const program = (await import("../stacks/app/index")).default;
        const result = await program();
        await mocks.settled();
        return { mocks, result };
    }

    test("deploys hello into the team's namespace in each of its clusters, with the team's credential", async () => {
        const { mocks, result } = await runApp("web");
        const providers = mocks.ofType("pulumi:providers:kubernetes");
        expect(providers.map((p) => [p.name, p.inputs.namespace, isSecretValue(p.inputs.kubeconfig), p.aliases])).toEqual([
            ["mesh-web-aws-east-k8s", "web", true, ["aws-east-k8s"]],
            ["mesh-web-aws-west-k8s", "web", true, ["aws-west-k8s"]],
        ]);
        const apps = mocks.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment" || r.type === "kubernetes:core/v1:Service").sort((a, b) => a.name.localeCompare(b.name));
        expect(apps.map((r) => [r.type, r.name, providerName(r.provider), r.inputs.metadata])).toEqual([
            ["kubernetes:apps/v1:Deployment", "aws-east-hello", "mesh-web-aws-east-k8s", { name: "hello", namespace: "web" }],
            ["kubernetes:core/v1:Service", "aws-east-hello", "mesh-web-aws-east-k8s", { name: "hello", namespace: "web" }],
            ["kubernetes:apps/v1:Deployment", "aws-west-hello", "mesh-web-aws-west-k8s", { name: "hello", namespace: "web" }],
            ["kubernetes:core/v1:Service", "aws-west-hello", "mesh-web-aws-west-k8s", { name: "hello", namespace: "web" }],
        ]);
        for (const s of mocks.ofType("kubernetes:core/v1:Service")) expect(s.dependsOn).toContain(s.name);
        expect(result.meshId).toBe("prod-mesh");
        expect(result.namespace).toBe("web");
        expect(await promiseOf(result.services["aws-west"])).toBe("hello");
    });

    test("an unknown team fails, naming the mesh's teams", async () => {
        await expect(runApp("data")).rejects.toThrow('the mesh "prod-mesh" has no team "data" (mesh:access.teams); its teams: "payments", "web"');
    });
});
