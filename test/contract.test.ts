/**
 * The output contract (lib/contract.ts) is exactly what the program exports. Application teams'
 * programs read these names through a StackReference, so renaming, adding or removing an output
 * or a key inside one must be a deliberate change of the contract: it fails tsc here (the types)
 * and these tests (the keys the program really writes).
 */
import * as pulumi from "@pulumi/pulumi";
import { MeshOutputs } from "../components/outputs";
import { MESH_OUTPUT_NAMES, MeshReference, MeshStackOutputs } from "../lib";
import { parseMeshConfig } from "../stacks/config";
import { MeshMocks, setMeshMocks, StackState } from "./support/mocks";
import { exportedStack, runMesh } from "./support/run";
import { primaryRemoteSingleNetwork, twoPrimariesAndRemote } from "./support/topologies";

// ---------------------------------------------------------------- types (checked by tsc)

/** Deeply without `readonly`, so that only names, optionality and value types are compared. */
type Plain<T> = T extends string | number | boolean | undefined ? T : T extends readonly (infer U)[] ? Plain<U>[] : { -readonly [K in keyof T]: Plain<T[K]> };
/** True only for identical types (optional keys included), unlike mutual assignability. */
type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;

/** What a StackReference reads of the program's outputs: each Output resolved. */
type Exported = pulumi.Unwrap<MeshOutputs>;

// A renamed, added or removed key, or a changed value type, anywhere in the outputs makes one of these `false`, which is not `true`.
const sameOutputs: Equal<Plain<Exported>, Plain<MeshStackOutputs>> = true;
const sameClusters: Equal<Plain<Exported["clusters"][string]>, Plain<MeshStackOutputs["clusters"][string]>> = true;
const sameTeams: Equal<Plain<Exported["teams"][string]>, Plain<MeshStackOutputs["teams"][string]>> = true;
const sameNames: Equal<(typeof MESH_OUTPUT_NAMES)[number], keyof Exported> = true;

test("the program's output types are the contract's (tsc checks; this records it)", () => {
    expect([sameOutputs, sameClusters, sameTeams, sameNames]).toEqual([true, true, true, true]);
});

// ---------------------------------------------------------------- keys (checked at run time)

/** The contract as application teams know it: changing this list is changing their programs. */
const PINNED_OUTPUT_NAMES = ["clusters", "istio", "meshId", "networks", "rootCertificatePem", "teams", "trustBundlePem", "trustDomain"];

/**
 * Fails unless `outputs` is exactly the contract: parsing fails on a missing or mistyped key and
 * drops unknown ones, so the parsed value equals the input only when no key moved.
 */
function expectContract(outputs: Record<string, unknown>): void {
    expect(Object.keys(outputs).sort()).toEqual(PINNED_OUTPUT_NAMES);
    expect(MeshStackOutputs.parse(outputs)).toEqual(outputs);
}

const teams = [
    { name: "payments", namespaces: ["payments", "payments-jobs"], role: "admin" },
    { name: "web", namespaces: ["web"], clusters: ["aws-east", "aws-west"] },
];

describe("the program writes exactly the contract", () => {
    const shapes: Record<string, Record<string, unknown>> = {
        "two primaries and a remote, with teams": { ...twoPrimariesAndRemote(), access: { teams } },
        "primary-remote on one network (a cluster without a gateway), admin kubeconfigs out": { ...primaryRemoteSingleNetwork(), access: { adminKubeconfigOutputs: true } },
    };
    const stacks: Record<string, StackState> = {};
    beforeAll(async () => {
        for (const [name, raw] of Object.entries(shapes)) stacks[name] = await exportedStack((await runMesh(parseMeshConfig(raw))).outputs);
    });

    test.each(Object.keys(shapes))("%s", (name) => {
        expectContract(stacks[name].outputs);
    });

    test("between them, the shapes write every key a cluster can have, so no renamed optional key goes unseen", () => {
        const keys = new Set(Object.values(stacks).flatMap((s) => Object.values(s.outputs.clusters as Record<string, object>).flatMap((c) => Object.keys(c))));
        expect([...keys].sort()).toEqual(Object.keys(MeshStackOutputs.unwrap().shape.clusters.unwrap().valueType.unwrap().shape).sort());
    });

    test("MESH_OUTPUT_NAMES, which the library reads, are the pinned names", () => {
        expect([...MESH_OUTPUT_NAMES].sort()).toEqual(PINNED_OUTPUT_NAMES);
    });
});

describe("a renamed output fails the suite", () => {
    let stack: StackState;
    beforeAll(async () => {
        stack = await exportedStack((await runMesh(parseMeshConfig({ ...twoPrimariesAndRemote(), access: { teams } }))).outputs);
    });

    /** The outputs with `key` (a path) renamed to `to`, as if meshOutputs had renamed it. */
    function renamed(path: string[], to: string): Record<string, unknown> {
        const copy = structuredClone(stack.outputs);
        const parent = path.slice(0, -1).reduce((o: any, k) => o[k], copy);
        const last = path[path.length - 1];
        parent[to] = parent[last];
        delete parent[last];
        return copy;
    }

    test.each([
        [["clusters"], "clusterMap"],
        [["clusters", "aws-east", "network"], "networkName"],
        [["clusters", "aws-west", "primary"], "primaryCluster"],
        [["clusters", "aws-east", "eastWestGatewayAddress"], "gatewayAddress"],
        [["teams", "web", "clusters", "aws-east", "kubeconfig"], "config"],
        [["istio", "version"], "release"],
    ])("%j renamed to %s breaks the contract check", (path, to) => {
        expect(() => expectContract(renamed(path, to))).toThrow();
    });

    async function read(outputs: Record<string, unknown>) {
        const mocks = new MeshMocks(undefined, { stacks: { "organization/mesh/test": { outputs, secretOutputNames: stack.secretOutputNames } } });
        await setMeshMocks(mocks, false, "mesh-app");
        return MeshReference.get("mesh", { stack: "organization/mesh/test" });
    }

    test("and the library refuses the stack, naming what it misses", async () => {
        await expect(read(renamed(["clusters"], "clusterMap"))).rejects.toThrow(
            'stack "organization/mesh/test" has no output "clusters"; a mesh stack exports "meshId", "trustDomain", "rootCertificatePem", "trustBundlePem", "istio", "networks", "clusters", "teams"',
        );
        await expect(read(renamed(["clusters", "aws-east", "network"], "networkName"))).rejects.toThrow(/clusters\.aws-east\.network: /);
        await expect(read(renamed(["teams", "web", "clusters", "aws-east", "kubeconfig"], "config"))).rejects.toThrow(/teams\.web\.clusters\.aws-east\.kubeconfig: /);
        await expect(read(stack.outputs)).resolves.toBeInstanceOf(MeshReference);
    });
});
