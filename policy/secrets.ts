/**
 * Which property values are secret: what @pulumi/policy hides from validations.
 *
 * The engine sends analyzers every property with its secret marker (pkg/resource/plugin/analyzer_plugin.go
 * marshals with KeepSecrets), but the SDK deserializes them for validations with `proxySecrets: false`, which
 * drops the marker (server.js `deserializeProperties(req.getProperties(), false)`; pulumi/pulumi-policy#241: "It's
 * not currently possible to check if a stack config value or property is a secret from policies"). Remediations
 * get `proxySecrets: true`: secret values stay wrapped in `Secret` inside the raw object, and the proxy that
 * policies read through unwraps them, so plain reads see the same values either way.
 *
 * `keepSecretMarkers` makes validations deserialize as remediations do, and `leaves` walks the raw object behind
 * the proxies. It is verified against the SDK version pinned in package.json only: a different version stops the
 * pack at start (below), and policy/test runs the SDK's own deserialization through it.
 */
import { Secret } from "@pulumi/policy";

/** The @pulumi/policy release whose internals this adapter is written against. */
export const SDK_VERSION = "1.21.0";

interface DeserializeModule {
    deserializeProperties(struct: unknown, proxySecrets: boolean): Record<string, unknown>;
    meshSecretMarkersKept?: boolean;
}

export function keepSecretMarkers(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = String(require("@pulumi/policy/package.json").version).replace(/^v/, "");
    if (version !== SDK_VERSION) {
        throw new Error(`policy/secrets.ts reads secret markers through @pulumi/policy ${SDK_VERSION} internals, but ${version} is installed; re-check server.js and deserialize.js, then update SDK_VERSION`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod: DeserializeModule = require("@pulumi/policy/deserialize");
    if (mod.meshSecretMarkersKept) return;
    const original = mod.deserializeProperties;
    mod.deserializeProperties = (struct: unknown) => original(struct, true);
    mod.meshSecretMarkersKept = true;
}

// The SDK's proxies (proxy.js unknownCheckingProxy, secret.js secretsPreservingProxy) answer these two keys.
const IS_PROXY = "__isSpecialProxy";
const PROXY_TARGET = "__getSpecialProxyTarget";

/** The raw value behind the SDK's proxies: secret values are `Secret` instances in it. */
export function raw(value: unknown): unknown {
    let v = value as Record<string, unknown> | null | undefined;
    while (v !== null && typeof v === "object" && v[IS_PROXY] === true) v = v[PROXY_TARGET] as Record<string, unknown>;
    return v;
}

/** The values the SDK uses for properties unknown during preview (proxy.js). */
const UNKNOWNS = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && UNKNOWNS.has(value);
}

/** A scalar in a property tree, with its path (`data.c2`, `spec.servers[0].port`) and whether it is secret. */
export interface Leaf {
    readonly path: string;
    /** The last key of the path (the index's parent key for array elements). */
    readonly key: string;
    readonly value: unknown;
    readonly secret: boolean;
}

/** Every scalar under `value` (the SDK's proxies, plain objects, arrays, `Secret`). */
export function* leaves(value: unknown, path = "", key = "", secret = false): Generator<Leaf> {
    const v = raw(value);
    if (v instanceof Secret) {
        yield* leaves(v.value, path, key, true);
    } else if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) yield* leaves(v[i], `${path}[${i}]`, key, secret);
    } else if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
        for (const [k, x] of Object.entries(v)) yield* leaves(x, path ? `${path}.${k}` : k, k, secret);
    } else {
        yield { path, key, value: v, secret };
    }
}

/**
 * The raw value at a path (dotted, or a list of keys when a key has dots: annotation names), unwrapping secrets;
 * `undefined` when absent, `UNKNOWN` when it (or a parent) is not known yet (preview).
 */
export const UNKNOWN = Symbol("unknown during preview");
export function at(value: unknown, path: string | readonly string[]): unknown {
    let v: unknown = value;
    for (const k of typeof path === "string" ? path.split(".") : path) {
        v = unwrap(v);
        if (isUnknown(v)) return UNKNOWN;
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<string, unknown>)[k];
    }
    v = unwrap(v);
    return isUnknown(v) ? UNKNOWN : v;
}

function unwrap(value: unknown): unknown {
    let v = raw(value);
    while (v instanceof Secret) v = raw(v.value);
    return v;
}
