import * as pulumi from "@pulumi/pulumi";
import { Mesh } from "./components/mesh";
import { meshOutputs } from "./components/outputs";
import { ConfigError } from "./stacks/config";
import { loadMeshConfig } from "./stacks/loader";

function load() {
    try {
        return loadMeshConfig();
    } catch (e) {
        // A RunError prints the message alone, with every config problem, and no stack trace.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

const outputs = meshOutputs(new Mesh("mesh", load()));

export const meshId = outputs.meshId;
export const trustDomain = outputs.trustDomain;
export const rootCertificatePem = outputs.rootCertificatePem;
export const istio = outputs.istio;
export const networks = outputs.networks;
export const clusters = outputs.clusters;
export const teams = outputs.teams;
