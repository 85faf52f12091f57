import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Mesh } from "../../components/mesh";
import { meshOutputs } from "../../components/outputs";
import { MeshConfig } from "../../stacks/config";
import { scratchDir } from "./scratch";
import { Delay, MeshMocks, MockWorld, setMeshMocks, StackState } from "./mocks";

/** The value of an Output, once known. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

export function isSecret(output: pulumi.Output<unknown>): Promise<boolean> {
    return (output as any).isSecret;
}

export interface MeshRun {
    readonly mocks: MeshMocks;
    readonly mesh: Mesh;
    readonly outputs: ReturnType<typeof meshOutputs>;
}

/** Runs the program under mocks until its whole graph is registered. */
export async function runMesh(config: MeshConfig, options: { delay?: Delay; preview?: boolean; world?: MockWorld } = {}): Promise<MeshRun> {
    const mocks = new MeshMocks(options.delay, options.world);
    await setMeshMocks(mocks, options.preview ?? false);
    const mesh = new Mesh("mesh", config);
    const outputs = meshOutputs(mesh);
    await mocks.settled();
    return { mocks, mesh, outputs };
}

/**
 * The outputs as `pulumi up` stores them, which is what a StackReference from another stack
 * reads: every Output resolved, undefined dropped (JSON), and each output holding a secret
 * anywhere listed as secret.
 */
export async function exportedStack(outputs: Record<string, unknown>): Promise<StackState> {
    const read = await Promise.all(
        Object.entries(outputs).map(async ([name, value]) => {
            const output = pulumi.output(value);
            return { name, value: JSON.parse(JSON.stringify(await promiseOf(output))), secret: await isSecret(output) };
        }),
    );
    return { outputs: Object.fromEntries(read.map((o) => [o.name, o.value])), secretOutputNames: read.filter((o) => o.secret).map((o) => o.name) };
}

/**
 * Runs the program under mocks in a process of its own, for failures no test can await: an
 * Output that throws inside a resource input fails that registration, and the SDK rethrows it as
 * an unhandled rejection (runtime/resource.js registerResource), which fails a real run with the
 * message and would fail any jest test running at the time. Also tells which cloud SDKs the
 * program loaded (`sdks`), which a jest module registry would hide.
 */
export function runMeshInChild(raw: Record<string, unknown>, options: { preview?: boolean; world?: MockWorld } = {}): { resources: string[]; errors: string[]; sdks: string[] } {
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "child.ts")], {
        cwd: path.join(__dirname, "..", ".."),
        input: JSON.stringify({ raw, ...options }),
        encoding: "utf8",
    });
    return JSON.parse(out);
}

/** A kubeconfig file with the given contexts, as an `existing` cluster would point at. */
export function writeKubeconfig(contexts: Record<string, string>, current?: string): string {
    const dir = scratchDir("kubeconfig-");
    const file = path.join(dir, "config");
    const names = Object.keys(contexts);
    const yaml = [
        "apiVersion: v1",
        "kind: Config",
        `current-context: ${current ?? names[0]}`,
        "clusters:",
        ...names.map((n) => `- name: ${n}\n  cluster:\n    server: ${contexts[n]}\n    certificate-authority-data: Q0E=`),
        "users:",
        ...names.map((n) => `- name: ${n}\n  user:\n    token: t-${n}`),
        "contexts:",
        ...names.map((n) => `- name: ${n}\n  context:\n    cluster: ${n}\n    user: ${n}`),
    ].join("\n");
    fs.writeFileSync(file, yaml);
    return file;
}
