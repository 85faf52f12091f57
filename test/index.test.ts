/** The program as `pulumi up` runs it: config read from the stack, validated before any resource. */
import * as pulumi from "@pulumi/pulumi";
import { MESH_OUTPUT_NAMES } from "../lib";
import { MeshMocks, MockWorld, OWN_STACK } from "./support/mocks";
import { issueRoot } from "./support/pki";
import { multiPrimaryMultiNetwork } from "./support/topologies";

function stackConfig(raw: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [`mesh:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}

async function importProgram(raw: Record<string, unknown>, world?: MockWorld) {
    const mocks = new MeshMocks(undefined, world);
    await pulumi.runtime.setMocks(mocks, "mesh", "test", false, "organization");
    pulumi.runtime.setAllConfig(stackConfig(raw));
    let program: any;
    let error: unknown;
    await jest.isolateModulesAsync(async () => {
        try {
            const main = (await import("../index")).default as unknown as () => Promise<unknown>;
            program = await main();
        } catch (e) {
            error = e;
        }
    });
    await mocks.settled();
    return { mocks, program, error };
}

test("exports the output contract", async () => {
    const { program, error, mocks } = await importProgram(multiPrimaryMultiNetwork());
    expect(error).toBeUndefined();
    expect(Object.keys(program).sort()).toEqual(["clusters", "istio", "meshId", "networks", "rootCertificatePem", "teams", "trustBundlePem", "trustDomain"]);
    // The names application teams read through lib/ (test/contract.test.ts pins their contents).
    expect(Object.keys(program).sort()).toEqual([...MESH_OUTPUT_NAMES].sort());
    expect(program.meshId).toBe("prod-mesh");
    expect(Object.keys(program.clusters)).toEqual(["aws-east", "azure-west", "onprem"]);
    expect(mocks.resources.length).toBeGreaterThan(50);
});

test("bad config fails with every problem and creates nothing", async () => {
    const { mocks, error } = await importProgram({ meshId: "Bad Id", clusters: [{ name: "x", provider: "gcp", network: "n" }], pkii: {} });
    expect((error as Error).constructor.name).toBe("RunError");
    for (const key of [/mesh:meshId: must be a DNS-1123 label/, /mesh:pkii: unknown key/, /mesh:clusters\[0\]\.provider: must be one of/]) expect((error as Error).message).toMatch(key);
    expect(mocks.resources).toEqual([]);
});

test("a config that would replace the deployed root fails before any resource, naming the keys", async () => {
    const raw = multiPrimaryMultiNetwork();
    const deployed = { stacks: { [OWN_STACK]: { outputs: { rootCertificatePem: await issueRoot(raw) }, secretOutputNames: [] } } };
    expect((await importProgram(raw, deployed)).error).toBeUndefined();
    const { mocks, error } = await importProgram({ ...raw, pki: { organization: "Renamed Corp", rootValidityDays: 1000 } }, deployed);
    expect((error as Error).constructor.name).toBe("RunError");
    expect((error as Error).message).toMatch(/2 problems/);
    expect((error as Error).message).toMatch(/mesh:pki\.organization: "Renamed Corp" would replace the running mesh's root CA, issued with "prod-mesh"/);
    expect((error as Error).message).toMatch(/mesh:pki\.rootValidityDays: 1000 would replace/);
    // Only the read of the stack's own last outputs happened.
    expect(mocks.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:StackReference"]);
});
