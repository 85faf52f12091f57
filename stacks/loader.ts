/** Reads the `mesh:*` keys of the running stack and hands them to parseMeshConfig. */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, MeshConfig, parseMeshConfig } from "./config";

export function loadMeshConfig(): MeshConfig {
    const raw: Record<string, unknown> = {};
    const prefix = `${CONFIG_NAMESPACE}:`;
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith(prefix)) continue;
        raw[key.slice(prefix.length)] = decode(value);
    }
    return parseMeshConfig(raw);
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
