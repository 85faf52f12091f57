/**
 * A typed harness for the pack's policies. @pulumi/policy exports no test helpers, so this reproduces what its
 * server does with an engine request (server.js makeAnalyzeRpcFun, makeAnalyzeStackRpcFun) with the SDK's own
 * parts: properties travel as a protobuf Struct in the engine's wire form (secrets and unknowns as the engine
 * marshals them), are read back by the SDK's deserializeProperties (through the pack's secret-marker adapter,
 * as in the pack) and wrapped in its unknownCheckingProxy. The enforcement level comes from the policy config,
 * then the policy, then the pack (mandatory); a value unknown during preview turns into the SDK's advisory
 * "can't run … during preview"; `notApplicable` skips the policy.
 */
import { EnforcementLevel, Policies, PolicyPackConfig, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { keepSecretMarkers } from "../secrets";

// Internal to the SDK (its proxy.d.ts exports no types), but exported by its index.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownCheckingProxy, UnknownValueError } = require("@pulumi/policy") as { unknownCheckingProxy: <T>(v: T) => T; UnknownValueError: new (...a: unknown[]) => Error };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const deserialize = require("@pulumi/policy/deserialize") as { deserializeProperties(struct: Struct, proxySecrets: boolean): Record<string, unknown> };

keepSecretMarkers();

/** The engine's wire form (@pulumi/pulumi runtime/rpc.ts specialSigKey, specialSecretSig; plugin.UnknownStringValue). */
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const secret = (value: unknown) => ({ [SIG]: SECRET_SIG, value });

/** A resource as the engine describes it to an analyzer. Names identify resources (parents, dependencies, providers). */
export interface TestResource {
    readonly type: string;
    readonly name: string;
    /** Inputs (validateResource) or outputs (validateStack), in wire form: `secret(v)`, `UNKNOWN_STRING`. */
    readonly props?: Record<string, unknown>;
    readonly protect?: boolean;
    /** The name of its provider resource; the provider's type is `pulumi:providers:<package>`. */
    readonly provider?: string;
    readonly parent?: string;
    readonly dependencies?: readonly string[];
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export interface Violation {
    readonly policy: string;
    readonly level: EnforcementLevel;
    readonly message: string;
    /** The resource named in the violation (a stack policy may name none). */
    readonly resource?: string;
}

const urnOf = (type: string, name: string) => `urn:pulumi:test::mesh::${type}::${name}`;
const providerOf = (r: TestResource) =>
    r.provider === undefined ? undefined : { type: `pulumi:providers:${r.type.split(":")[0]}`, name: r.provider, urn: urnOf(`pulumi:providers:${r.type.split(":")[0]}`, r.provider), props: {} };
/** The properties exactly as the SDK hands them to a policy. */
export function sdkProps(props: Record<string, unknown> = {}): Record<string, unknown> {
    return unknownCheckingProxy(deserialize.deserializeProperties(Struct.fromJavaScript(props as never), false));
}
function optionsOf(r: TestResource) {
    return {
        protect: r.protect ?? false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: urnOf("unknown", r.parent) } : {}),
    };
}

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};
const unsupported = () => {
    throw new Error("isType/asType: not used by the mesh's policies, not provided by the harness");
};

function levelOf(policy: { name: string; enforcementLevel?: EnforcementLevel }, config: PolicyPackConfig): EnforcementLevel {
    const c = config[policy.name];
    return (typeof c === "string" ? c : c?.enforcementLevel) ?? policy.enforcementLevel ?? "mandatory";
}
function configOf(policy: string, config: PolicyPackConfig) {
    const c = config[policy];
    if (c === undefined || typeof c === "string") return {};
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { enforcementLevel, ...rest } = c;
    return rest;
}

/** Runs every resource policy on each resource (its props as inputs) and every stack policy on all of them. */
export async function runPolicies(policies: Policies, resources: readonly TestResource[], config: PolicyPackConfig = {}): Promise<Violation[]> {
    const violations: Violation[] = [];
    const run = async (policy: ResourceValidationPolicy | StackValidationPolicy, resource: string | undefined, validate: (report: (message: string, urn?: string) => void) => unknown) => {
        const level = levelOf(policy, config);
        if (level === "disabled") return;
        const nameOfUrn = (urn?: string) => (urn ? urn.split("::").pop() : resource);
        try {
            await validate((message, urn) => violations.push({ policy: policy.name, level, message, resource: nameOfUrn(urn) }));
        } catch (e) {
            if (e instanceof NotApplicable) return;
            if (e instanceof UnknownValueError) violations.push({ policy: policy.name, level: "advisory", message: `can't run policy '${policy.name}' during preview: ${e.message}`, resource });
            else throw e;
        }
    };

    // What both kinds of policy see of a resource, as the SDK deserializes it.
    const views = resources.map((r) => ({
        type: r.type,
        props: sdkProps(r.props),
        urn: urnOf(r.type, r.name),
        name: r.name,
        opts: optionsOf(r),
        provider: providerOf(r),
        isType: unsupported,
        asType: unsupported,
    }));
    for (const [i, r] of resources.entries()) {
        for (const policy of policies) {
            if (!("validateResource" in policy) || !policy.validateResource) continue;
            const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
            for (const validation of validations) {
                await run(policy, r.name, (report) =>
                    validation({ ...views[i], stackTags: new Map(), getConfig: <T extends object>() => configOf(policy.name, config) as T, notApplicable }, report),
                );
            }
        }
    }

    const byName = new Map<string, PolicyResource>();
    const stackResources = resources.map((r, i) => {
        const p: PolicyResource = { ...views[i], dependencies: [], propertyDependencies: {} };
        byName.set(r.name, p);
        return p;
    });
    // As the SDK does: parents and dependencies resolved to resource objects, unknown ones dropped.
    resources.forEach((r, i) => {
        const p = stackResources[i];
        const resolve = (names: readonly string[] = []) => names.map((n) => byName.get(n)).filter((x): x is PolicyResource => x !== undefined);
        if (r.parent && byName.has(r.parent)) p.parent = byName.get(r.parent);
        p.dependencies = resolve(r.dependencies);
        p.propertyDependencies = Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([k, v]) => [k, resolve(v)]));
    });
    for (const policy of policies) {
        if (!("validateStack" in policy)) continue;
        await run(policy, undefined, (report) =>
            policy.validateStack({ resources: stackResources, stackTags: new Map(), getConfig: <T extends object>() => configOf(policy.name, config) as T, notApplicable }, report),
        );
    }
    return violations;
}

/** Violations at the given level (mandatory ones fail a preview). */
export const mandatory = (vs: readonly Violation[]) => vs.filter((v) => v.level === "mandatory");
