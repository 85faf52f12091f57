/**
 * Reads the `mesh:*` keys of the running stack, hands them to parseMeshConfig, and checks them
 * against what the stack's last deployment issued (stacks/root-guard.ts), before any resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, ConfigError, MeshConfig, parseMeshConfig } from "./config";
import { rootReplacingEdits } from "./root-guard";

export async function loadMeshConfig(): Promise<MeshConfig> {
    const config = parseMeshConfig(rawConfig());
    const root = await deployedRootCertificate();
    const problems = root ? rootReplacingEdits(config, root) : [];
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

/** The root certificate this stack's last deployment exported (none before the first): the stack reads itself. */
async function deployedRootCertificate(): Promise<string | undefined> {
    const self = new pulumi.StackReference("deployed", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
    const details = await self.getOutputDetails("rootCertificatePem");
    const pem = details.value ?? details.secretValue;
    return typeof pem === "string" && pem.includes("BEGIN CERTIFICATE") ? pem : undefined;
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
