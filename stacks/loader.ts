/**
 * Reads the `mesh:*` keys of the running stack, hands them to parseMeshConfig, and checks them
 * against what the stack's last deployment exported (stacks/deployed.ts), before any resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, ConfigError, MeshConfig, parseMeshConfig } from "./config";
import { DeployedMesh, deployedProblems } from "./deployed";

export async function loadMeshConfig(): Promise<MeshConfig> {
    const config = parseMeshConfig(rawConfig());
    const problems = deployedProblems(config, await deployedMesh());
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
}

function rawConfig(): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    const prefix = `${CONFIG_NAMESPACE}:`;
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith(prefix)) continue;
        raw[key.slice(prefix.length)] = decode(value);
    }
    return raw;
}

/** What this stack's last deployment exported (nothing before the first): the stack reads itself. */
async function deployedMesh(): Promise<DeployedMesh> {
    const self = new pulumi.StackReference("deployed", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
    const read = async (name: string) => {
        const details = await self.getOutputDetails(name);
        return details.value ?? details.secretValue;
    };
    return {
        rootCertificatePem: await read("rootCertificatePem"),
        trustBundlePem: await read("trustBundlePem"),
        clusters: await read("clusters"),
        istio: await read("istio"),
    };
}

/** Structured config values arrive JSON-encoded; scalars stay strings (a meshId "123" is a name). */
function decode(value: string): unknown {
    if (!/^\s*[[{]/.test(value)) return value;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}
