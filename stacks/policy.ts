/**
 * Mesh-wide Istio policy (`mesh:policy`): declared once, rendered here as plain objects, and
 * applied identically to every primary (components/istio/policy.ts). Istio does not replicate
 * configuration between primaries (istio/istio#33253: "use CI/CD"); this program is that CI/CD.
 *
 * Everything lives in istio-system, Istio's root namespace (meshConfig.rootNamespace, which
 * stacks/models.ts keeps there): a PeerAuthentication, AuthorizationPolicy, Sidecar or Telemetry
 * in the root namespace is what Istio applies to the whole mesh, and istio-system is the one
 * namespace the program itself creates on every primary. Remotes hold none: their proxies take
 * configuration from their primary's istiod, which reads Istio objects only from its own cluster.
 */
import { z } from "zod";
import { EASTWEST_GATEWAY, EASTWEST_GATEWAY_SELECTOR, EASTWEST_PORTS, ISTIO_NAMESPACE } from "../components/istio/names";

/** Every object this module renders carries it, so tools (and the e2e) can list them. */
export const POLICY_LABEL = "app.kubernetes.io/part-of";
export const POLICY_LABEL_VALUE = "mesh-policy";
/** Istio evaluates an AuthorizationPolicy with this annotation in shadow mode (pilot/pkg/security/authz/builder/builder.go isDryRun). */
export const DRY_RUN_ANNOTATION = "istio.io/dry-run";

/** The root-namespace AuthorizationPolicy with an empty spec: Istio's "allow-nothing" (docs: security best practices, default-deny). */
export const DENY_BY_DEFAULT_NAME = "allow-nothing";
/** The ALLOW policy that keeps the east-west gateway's own ports open under deny-by-default. */
export const EASTWEST_ALLOW_NAME = "allow-eastwest-gateway";
/** The root-namespace Sidecar without selector: the default of every namespace that has none. */
export const DEFAULT_SIDECAR_NAME = "default";

/**
 * The kinds `mesh:policy.resources` may declare, each at exactly one apiVersion: the version the
 * base chart's CRDs store or serve as stable (manifests/charts/base/files/crd-all.gen.yaml, 1.29:
 * security.istio.io and networking.istio.io v1, EnvoyFilter only v1alpha3, ProxyConfig only
 * v1beta1, Telemetry v1). One version per kind, because the Pulumi type of a custom resource
 * carries its apiVersion: the same object under another version would be a delete and a create.
 */
export const MESH_WIDE_KINDS: Readonly<Record<string, string>> = {
    AuthorizationPolicy: "security.istio.io/v1",
    PeerAuthentication: "security.istio.io/v1",
    RequestAuthentication: "security.istio.io/v1",
    DestinationRule: "networking.istio.io/v1",
    Sidecar: "networking.istio.io/v1",
    ServiceEntry: "networking.istio.io/v1",
    EnvoyFilter: "networking.istio.io/v1alpha3",
    ProxyConfig: "networking.istio.io/v1beta1",
    Telemetry: "telemetry.istio.io/v1",
};

/** Istio kinds the base chart installs that are not mesh-wide policy, and why they are refused. */
const REFUSED_KINDS: Readonly<Record<string, string>> = {
    Gateway: "a Gateway configures particular gateway pods; the program derives the ones the mesh needs per cluster (cross-network-gateway, istiod-gateway)",
    VirtualService: "routing for particular hosts belongs to the application that owns them, in its own namespace",
    WorkloadEntry: "it registers one workload's address, which is not mesh-wide policy",
    WorkloadGroup: "it describes one group of workloads, which is not mesh-wide policy",
    WasmPlugin: "extensions.istio.io is outside the policy groups (security, networking, telemetry.istio.io)",
};

/** Objects in istio-system the program owns elsewhere (components/istio/control-plane.ts). */
const PROGRAM_OBJECTS: Readonly<Record<string, string>> = {
    "PeerAuthentication/default": "the program's mesh-wide STRICT PeerAuthentication",
    "Gateway/cross-network-gateway": "the program's cross-network Gateway",
    "Gateway/istiod-gateway": "the program's istiod Gateway",
    "VirtualService/istiod-vs": "the program's istiod VirtualService",
};

/** A mesh-wide Istio object, without namespace (always istio-system). */
export interface MeshWideObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
    readonly spec: Readonly<Record<string, unknown>>;
    /** Objects (`Kind/name`) of this set that must exist first: deny-by-default waits for every ALLOW. */
    readonly after: readonly string[];
}

export interface AllowRule {
    readonly name: string;
    readonly selector?: { readonly matchLabels: Readonly<Record<string, string>> };
    readonly rules: readonly Readonly<Record<string, unknown>>[];
}

export interface RawIstioObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
    readonly spec: Readonly<Record<string, unknown>>;
}

export interface MeshPolicyConfig {
    /** false (default): no mesh-wide authorization; true: deny every request no ALLOW policy matches; "dry-run": the same, evaluated in shadow mode only. */
    readonly denyByDefault: boolean | "dry-run";
    /** Mesh-wide ALLOW policies (istio-system, so their selectors apply in every namespace); only with denyByDefault. */
    readonly allow: readonly AllowRule[];
    /** The root-namespace default Sidecar's egress hosts (`namespace/dnsName`); none: no default Sidecar (every proxy sees every service). */
    readonly sidecarEgressHosts?: readonly string[];
    /** Further Istio objects, applied as given (plus the policy label) in istio-system on every primary. */
    readonly resources: readonly RawIstioObject[];
}

export const DEFAULT_POLICY: MeshPolicyConfig = { denyByDefault: false, allow: [], resources: [] };

const KEY = "mesh:policy";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Istio's `namespace/dnsName` (pilot: validateNamespaceSlashWildcardHostname): `*`, `.` or `~` or a namespace, then `*`, `*.suffix` or a name. */
const EGRESS_HOST = /^(\*|\.|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)\/(\*|(\*\.)?[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)$/;

const labels = z.record(z.string().min(1).max(317), z.string().max(63));
const selectorSchema = z.strictObject({
    matchLabels: labels.refine((l) => Object.keys(l).length > 0, "list at least one label; a policy without selector applies to every workload"),
});
const ruleSchema = z.strictObject({
    from: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
    to: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
    when: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
});
const allowSchema = z.strictObject({
    name: z.string().max(63).regex(DNS_LABEL, "must be a DNS-1123 label"),
    /** Workloads (in every namespace) the policy applies to; default: every workload. */
    selector: selectorSchema.optional(),
    /** Istio AuthorizationPolicy rules (from, to, when); a request matching any is allowed. */
    rules: z.array(ruleSchema).min(1, "list at least one rule; an ALLOW policy without rules matches nothing"),
});
const resourceSchema = z.strictObject({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    metadata: z.strictObject({
        name: z.string().max(253).regex(DNS_SUBDOMAIN, "must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')"),
        namespace: z.string().optional(),
        labels: labels.optional(),
        annotations: z.record(z.string(), z.string()).optional(),
    }),
    spec: z.record(z.string(), z.unknown()),
});
/** Each key is checked on its own, and each list entry too, so that one bad value hides no other problem. */
const policyFields = {
    denyByDefault: z.union([z.boolean(), z.literal("dry-run")], { message: "must be true, false or dry-run" }).default(false),
    allow: z.array(z.unknown()).default([]),
    sidecarEgressHosts: z.array(z.string().regex(EGRESS_HOST, "must be namespace/dnsName as in an Istio Sidecar's egress hosts, e.g. ./*, istio-system/*, payments/api.payments.svc.cluster.local")).min(1).optional(),
    resources: z.array(z.unknown()).default([]),
};

type Check = <T extends z.ZodType>(schema: T, value: unknown, key: string) => z.infer<T> | undefined;

/** `mesh:policy`, typed with defaults, or undefined with its problems recorded. */
export function checkPolicy(raw: unknown, check: Check, problems: string[]): MeshPolicyConfig | undefined {
    const before = problems.length;
    if (raw !== undefined && (raw === null || typeof raw !== "object" || Array.isArray(raw))) {
        problems.push(`${KEY}: must be an object (denyByDefault, allow, sidecarEgressHosts, resources)`);
        return undefined;
    }
    const fields = (raw ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (!(key in policyFields)) problems.push(`${KEY}.${key}: unknown key (known: ${Object.keys(policyFields).join(", ")})`);
    const field = <K extends keyof typeof policyFields>(key: K) => check(policyFields[key], fields[key], `${KEY}.${key}`) as z.infer<(typeof policyFields)[K]> | undefined;
    // A bad denyByDefault is reported; the rest is checked as if it were off.
    const policy: PolicyShape = { denyByDefault: field("denyByDefault") ?? false, allow: field("allow") ?? [], sidecarEgressHosts: field("sidecarEgressHosts"), resources: field("resources") ?? [] };
    const allow = policy.allow.map((a, i) => check(allowSchema, a, `${KEY}.allow[${i}]`));
    const shapes = policy.resources.map((r, i) => check(resourceSchema, r, `${KEY}.resources[${i}]`));
    const resources = shapes.map((r, i) => checkResource(r, `${KEY}.resources[${i}]`, policy, problems));

    if (policy.denyByDefault === false && policy.allow.length > 0) {
        problems.push(
            `${KEY}.allow: needs ${KEY}.denyByDefault (true or dry-run): an ALLOW policy denies every request it does not match on the workloads it selects, ` +
                `so without deny-by-default it would be deny-by-default in disguise (and could close the east-west gateway's istiod ports)`,
        );
    }
    checkNames(allow, shapes, policy, problems);
    const sidecars = shapes.flatMap((r, i) => (r?.kind === "Sidecar" ? [i] : []));
    if (policy.sidecarEgressHosts && sidecars.length > 0) {
        problems.push(`${KEY}.resources[${sidecars[0]}].kind: a Sidecar here would be a second default Sidecar next to ${KEY}.sidecarEgressHosts' (Istio keeps one per namespace); use one or the other`);
    }
    for (const i of sidecars.slice(1)) problems.push(`${KEY}.resources[${i}].kind: a second Sidecar in istio-system (already ${KEY}.resources[${sidecars[0]}]); Istio keeps one default Sidecar per namespace`);
    const telemetries = shapes.flatMap((r, i) => (r?.kind === "Telemetry" && r.spec.selector === undefined && r.spec.targetRefs === undefined ? [i] : []));
    for (const i of telemetries.slice(1)) {
        problems.push(`${KEY}.resources[${i}]: a second Telemetry without selector (already ${KEY}.resources[${telemetries[0]}]); Istio applies one mesh-wide Telemetry (istioctl analyze: MultipleTelemetriesWithoutWorkloadSelectors)`);
    }
    if (problems.length > before) return undefined;
    return { denyByDefault: policy.denyByDefault, allow: allow as AllowRule[], sidecarEgressHosts: policy.sidecarEgressHosts, resources: resources as RawIstioObject[] };
}

interface PolicyShape {
    readonly denyByDefault: boolean | "dry-run";
    readonly allow: readonly unknown[];
    readonly sidecarEgressHosts?: readonly string[];
    readonly resources: readonly unknown[];
}
const weakMtls = (mode: unknown) => mode === "PERMISSIVE" || mode === "DISABLE";
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Kind, version and namespace, and the rules that keep the mesh STRICT and its own paths open. */
function checkResource(r: z.infer<typeof resourceSchema> | undefined, k: string, policy: PolicyShape, problems: string[]): RawIstioObject | undefined {
    if (!r) return undefined;
    const before = problems.length;
    const version = MESH_WIDE_KINDS[r.kind];
    if (REFUSED_KINDS[r.kind]) problems.push(`${k}.kind: ${r.kind} is not applied mesh-wide: ${REFUSED_KINDS[r.kind]}`);
    else if (!version) problems.push(`${k}.kind: "${r.kind}" is not an Istio kind this program applies mesh-wide (${Object.keys(MESH_WIDE_KINDS).join(", ")})`);
    else if (r.apiVersion !== version) {
        problems.push(`${k}.apiVersion: ${r.kind} is applied as ${version} (got ${r.apiVersion}); one version per kind, so that a later change of version never replaces the object`);
    }
    if (r.metadata.namespace !== undefined && r.metadata.namespace !== ISTIO_NAMESPACE) {
        problems.push(
            `${k}.metadata.namespace: "${r.metadata.namespace}": mesh-wide resources live in ${ISTIO_NAMESPACE}, Istio's root namespace, the one namespace on every primary; ` +
                `omit it (a namespace's own policy belongs to that namespace's team)`,
        );
    }
    const annotations = r.metadata.annotations ?? {};
    const dryRun = annotations[DRY_RUN_ANNOTATION];
    if (dryRun !== undefined && r.kind !== "AuthorizationPolicy") problems.push(`${k}.metadata.annotations: ${DRY_RUN_ANNOTATION} is only supported on AuthorizationPolicy (istiod's validation refuses it elsewhere)`);
    else if (dryRun !== undefined && dryRun !== "true" && dryRun !== "false") problems.push(`${k}.metadata.annotations.${DRY_RUN_ANNOTATION}: must be "true" or "false"`);
    if (r.metadata.labels?.[POLICY_LABEL] !== undefined) problems.push(`${k}.metadata.labels.${POLICY_LABEL}: set by the program (${POLICY_LABEL_VALUE}) on every mesh-wide object; remove it`);

    const spec = r.spec;
    switch (r.kind) {
        case "PeerAuthentication": {
            // The mesh-level one is the program's STRICT default; a second one without selector
            // would be ignored, or win if older (pilot/pkg/model/authentication.go), and UNSET
            // there means PERMISSIVE.
            if (spec.selector === undefined) problems.push(`${k}.spec.selector: required: the mesh-wide PeerAuthentication (no selector) is the program's STRICT "default"; add a selector to extend it for some workloads`);
            // PERMISSIVE and DISABLE are refused, as the policy pack's istio-no-mtls-downgrade does.
            const mode = obj(spec.mtls).mode;
            if (weakMtls(mode)) problems.push(`${k}.spec.mtls.mode: ${String(mode)} would weaken the mesh's STRICT mTLS; mesh-wide policy may only keep or tighten it (STRICT or UNSET)`);
            for (const [port, setting] of Object.entries(obj(spec.portLevelMtls))) {
                const m = obj(setting).mode;
                if (weakMtls(m)) problems.push(`${k}.spec.portLevelMtls.${port}.mode: ${String(m)} would weaken the mesh's STRICT mTLS on that port`);
            }
            break;
        }
        case "DestinationRule": {
            const policies: [string, unknown][] = [["spec.trafficPolicy", spec.trafficPolicy]];
            list(spec.subsets).forEach((s, i) => policies.push([`spec.subsets[${i}].trafficPolicy`, obj(s).trafficPolicy]));
            for (const [path, tp] of policies) {
                if (obj(obj(tp).tls).mode === "DISABLE") problems.push(`${k}.${path}.tls.mode: DISABLE sends plaintext, which STRICT peers refuse`);
                list(obj(tp).portLevelSettings).forEach((s, i) => {
                    if (obj(obj(s).tls).mode === "DISABLE") problems.push(`${k}.${path}.portLevelSettings[${i}].tls.mode: DISABLE sends plaintext, which STRICT peers refuse`);
                });
            }
            break;
        }
        case "Sidecar":
            // A Sidecar with a selector applies only to workloads of its own namespace (pilot/pkg/model/push_context.go), and istio-system runs none.
            if (spec.workloadSelector !== undefined) problems.push(`${k}.spec.workloadSelector: a Sidecar in istio-system with a selector would only select workloads in istio-system; the mesh-wide default Sidecar has none`);
            break;
        case "AuthorizationPolicy": {
            // Without a selector, an ALLOW policy in the root namespace applies to every workload,
            // the east-west gateway included, whose istiod ports (15012, 15017 passthrough) do go
            // through authorization (pilot/pkg/networking/core/networkfilter.go); only
            // deny-by-default adds the gateway's ALLOW.
            const action = spec.action ?? "ALLOW";
            const meshWideAllow = action === "ALLOW" && spec.selector === undefined && spec.targetRefs === undefined;
            if (meshWideAllow && policy.denyByDefault === false) {
                problems.push(
                    `${k}.spec: an ALLOW AuthorizationPolicy without selector in ${ISTIO_NAMESPACE} denies every request it does not match, in every workload and the east-west gateway; ` +
                        `set ${KEY}.denyByDefault (which keeps the gateway's ports open) and put the rule in ${KEY}.allow`,
                );
            }
            // Enforced, it would deny what it does not match while deny-by-default is only being tried out.
            if (meshWideAllow && policy.denyByDefault === "dry-run" && dryRun !== "true") {
                problems.push(`${k}.metadata.annotations: ${KEY}.denyByDefault is dry-run, but this ALLOW policy without selector would be enforced and deny everything it does not match; annotate it ${DRY_RUN_ANNOTATION}: "true" or put the rule in ${KEY}.allow`);
            }
            break;
        }
    }
    return problems.length > before ? undefined : { apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.metadata.name, labels: r.metadata.labels, annotations: r.metadata.annotations }, spec };
}

/** Every mesh-wide object is one Kind/name in istio-system: first-class ones, entries and the program's own must not collide. */
function checkNames(allow: (AllowRule | undefined)[], resources: (Pick<RawIstioObject, "kind" | "metadata"> | undefined)[], policy: PolicyShape, problems: string[]): void {
    const owners = new Map<string, string>(Object.entries(PROGRAM_OBJECTS));
    if (policy.denyByDefault !== false) {
        owners.set(`AuthorizationPolicy/${DENY_BY_DEFAULT_NAME}`, `${KEY}.denyByDefault's`);
        owners.set(`AuthorizationPolicy/${EASTWEST_ALLOW_NAME}`, `${KEY}.denyByDefault's east-west gateway ALLOW`);
    }
    if (policy.sidecarEgressHosts) owners.set(`Sidecar/${DEFAULT_SIDECAR_NAME}`, `${KEY}.sidecarEgressHosts' default Sidecar`);
    const claim = (id: string, key: string) => {
        const owner = owners.get(id);
        if (owner) problems.push(`${key}: ${id.replace("/", ' "')}" is already ${owner}; each mesh-wide object needs its own name`);
        else owners.set(id, key);
    };
    allow.forEach((a, i) => a && claim(`AuthorizationPolicy/${a.name}`, `${KEY}.allow[${i}].name`));
    resources.forEach((r, i) => r && claim(`${r.kind}/${r.metadata.name}`, `${KEY}.resources[${i}].metadata.name`));
}

/**
 * The objects every primary carries, in an order in which each comes after the objects it waits
 * for. With deny-by-default, every ALLOW policy exists before `allow-nothing` (and on removal is
 * deleted after it), so the mesh's own paths never close, not even for a moment.
 */
export function meshWideObjects(policy: MeshPolicyConfig): MeshWideObject[] {
    const label = { [POLICY_LABEL]: POLICY_LABEL_VALUE };
    const dryRun = policy.denyByDefault === "dry-run" ? { annotations: { [DRY_RUN_ANNOTATION]: "true" } } : {};
    const authz = MESH_WIDE_KINDS.AuthorizationPolicy;
    const objects: MeshWideObject[] = [];
    if (policy.denyByDefault !== false) {
        // The east-west gateway forwards 15443 (AUTO_PASSTHROUGH, built without authorization) and,
        // on a primary serving remotes, 15012/15017 to istiod (TLS passthrough routes, which carry
        // the authorization filters): remotes' proxies and webhooks need those.
        objects.push({
            apiVersion: authz,
            kind: "AuthorizationPolicy",
            metadata: { name: EASTWEST_ALLOW_NAME, labels: label, ...dryRun },
            spec: {
                selector: { matchLabels: { app: EASTWEST_GATEWAY, ...EASTWEST_GATEWAY_SELECTOR } },
                action: "ALLOW",
                rules: [{ to: [{ operation: { ports: EASTWEST_PORTS.filter((p) => p.name !== "status-port").map((p) => String(p.port)) } }] }],
            },
            after: [],
        });
        for (const a of policy.allow) {
            objects.push({
                apiVersion: authz,
                kind: "AuthorizationPolicy",
                metadata: { name: a.name, labels: label, ...dryRun },
                spec: { ...(a.selector ? { selector: a.selector } : {}), action: "ALLOW", rules: a.rules },
                after: [],
            });
        }
    }
    if (policy.sidecarEgressHosts) {
        objects.push({ apiVersion: MESH_WIDE_KINDS.Sidecar, kind: "Sidecar", metadata: { name: DEFAULT_SIDECAR_NAME, labels: label }, spec: { egress: [{ hosts: policy.sidecarEgressHosts }] }, after: [] });
    }
    for (const r of policy.resources) {
        objects.push({
            apiVersion: r.apiVersion,
            kind: r.kind,
            metadata: { name: r.metadata.name, labels: { ...r.metadata.labels, ...label }, ...(r.metadata.annotations ? { annotations: r.metadata.annotations } : {}) },
            spec: r.spec,
            after: [],
        });
    }
    if (policy.denyByDefault !== false) {
        const allows = objects.filter((o) => o.kind === "AuthorizationPolicy" && (o.spec.action ?? "ALLOW") === "ALLOW").map(objectId);
        objects.push({ apiVersion: authz, kind: "AuthorizationPolicy", metadata: { name: DENY_BY_DEFAULT_NAME, labels: label, ...dryRun }, spec: {}, after: allows });
    }
    return objects;
}

/** `Kind/name`: an object's identity in istio-system. */
export function objectId(o: Pick<MeshWideObject, "kind" | "metadata">): string {
    return `${o.kind}/${o.metadata.name}`;
}
