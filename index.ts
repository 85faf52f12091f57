import * as pulumi from "@pulumi/pulumi";
import { Mesh } from "./components/mesh";
import { meshOutputs } from "./components/outputs";
import { ConfigError } from "./stacks/config";
import { loadMeshConfig } from "./stacks/loader";

async function load() {
    try {
        return await loadMeshConfig();
    } catch (e) {
        // A RunError prints the message alone, with every config problem, and no stack trace.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

/** The stack's outputs are the object returned here: the contract of components/outputs.ts. */
export = async () => meshOutputs(new Mesh("mesh", await load()));
