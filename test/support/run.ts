import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Mesh } from "../../components/mesh";
import { meshOutputs } from "../../components/outputs";
import { MeshConfig } from "../../stacks/config";
import { Delay, MeshMocks } from "./mocks";

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
export async function runMesh(config: MeshConfig, options: { delay?: Delay; preview?: boolean } = {}): Promise<MeshRun> {
    const mocks = new MeshMocks(options.delay);
    await pulumi.runtime.setMocks(mocks, "mesh", "test", options.preview ?? false);
    const mesh = new Mesh("mesh", config);
    const outputs = meshOutputs(mesh);
    await mocks.settled();
    return { mocks, mesh, outputs };
}

/** A kubeconfig file with the given contexts, as an `existing` cluster would point at. */
export function writeKubeconfig(contexts: Record<string, string>, current?: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-kubeconfig-"));
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
