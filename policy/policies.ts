/**
 * The mesh's invariants as CrossGuard policies. Each reads the resources exactly as this program registers them
 * (components/): Helm releases of Istio's charts, Kubernetes objects on one explicit provider per cluster, the
 * tls provider's CA, EKS and AKS control planes. Properties are read raw (secrets.ts): a value unknown during
 * preview skips the check that needs it instead of failing the preview.
 */
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as YAML from "yaml";
import { credentialIn } from "./credentials";
import { at, isUnknown, leaves, raw, UNKNOWN } from "./secrets";

export const PACK_NAME = "mesh-invariants";

/** Resource types, as the providers' SDKs register them. */
export const TYPES = {
    stack: "pulumi:pulumi:Stack",
    kubernetesProvider: "pulumi:providers:kubernetes",
    release: "kubernetes:helm.sh/v3:Release",
    chartV4: "kubernetes:helm.sh/v4:Chart",
    secret: "kubernetes:core/v1:Secret",
    namespace: "kubernetes:core/v1:Namespace",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    privateKey: "tls:index/privateKey:PrivateKey",
    selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
    eks: "aws:eks/cluster:Cluster",
    aks: "azure-native:containerservice:ManagedCluster",
} as const;

/** Istio's names (components/istio/names.ts): they are fixed by Istio's charts and istioctl. */
const ISTIO_NAMESPACE = "istio-system";
const READER_SERVICE_ACCOUNT = "istio-reader-service-account";
const MULTICLUSTER_LABEL = "istio/multiCluster";
const ISTIO_CHARTS = ["base", "istiod", "gateway"];
/** Namespaces the platform owns (stacks/config.ts RESERVED_NAMESPACES): no team is given rights there. */
const PLATFORM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", ISTIO_NAMESPACE, "mesh-access"];
/** The platform's own namespaces the mesh creates, which hold no workloads. */
const MESH_SYSTEM_NAMESPACES = [ISTIO_NAMESPACE, "mesh-access"];
/** Kubernetes' built-in roles a team may be bound to in its namespaces (stacks/config.ts TEAM_ROLES). */
const TEAM_ROLES = ["view", "edit", "admin"];
/** An exact release, as Istio tags them; no range, no `latest`. */
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

type Props = Record<string, unknown>;
const isType = (r: { type: string }, ...types: string[]) => types.includes(r.type);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const obj = (v: unknown): Props => (v !== null && typeof v === "object" && !Array.isArray(v) ? (raw(v) as Props) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** The chart of an Istio release (`istiod` from a repository, or `<dir>/istiod` from a chart directory). */
function istioChart(props: Props): string | undefined {
    const chart = str(at(props, "chart"));
    const name = chart?.split("/").pop();
    return name && ISTIO_CHARTS.includes(name) ? name : undefined;
}
/** Where a stack policy names a resource: its name and, for Kubernetes objects, the cluster's provider. */
function where(r: PolicyResource): string {
    return r.provider ? `${r.name} (cluster provider ${r.provider.name})` : r.name;
}

// ---------------------------------------------------------------- mTLS

const strictMtls: StackValidationPolicy = {
    name: "istio-strict-mtls",
    description: "Every cluster that runs istiod has mesh-wide STRICT mTLS: PeerAuthentication `default` in istio-system, no selector, mode STRICT.",
    remediationSteps: "Keep components/istio/control-plane.ts's PeerAuthentication (peerAuthenticationSpec) on every primary.",
    validateStack: (args, report) => {
        const peerAuthentications = args.resources.filter((r) => /^kubernetes:security\.istio\.io\/v1(beta1)?:PeerAuthentication$/.test(r.type));
        for (const istiod of args.resources.filter((r) => isType(r, TYPES.release) && istioChart(r.props) === "istiod")) {
            // A remote runs no istiod; before its primary's address is known (first preview) its values are unknown.
            const profile = at(istiod.props, "values.profile");
            if (profile === "remote" || profile === UNKNOWN || at(istiod.props, "values") === UNKNOWN) continue;
            const strict = peerAuthentications.some((p) => {
                if (p.provider?.urn !== istiod.provider?.urn) return false;
                const [name, namespace, mode, selector] = ["metadata.name", "metadata.namespace", "spec.mtls.mode", "spec.selector"].map((k) => at(p.props, k));
                // A value not known yet (preview) cannot be held against the stack.
                const known = (v: unknown, want: string) => v === UNKNOWN || v === want;
                return known(name, "default") && known(namespace, ISTIO_NAMESPACE) && known(mode, "STRICT") && selector === undefined;
            });
            if (!strict) {
                report(
                    `${where(istiod)} runs istiod, but its cluster has no mesh-wide STRICT mTLS: a PeerAuthentication named "default" in ${ISTIO_NAMESPACE} ` +
                        `with spec.mtls.mode STRICT and no selector must be on the same provider (workloads would accept plaintext)`,
                    istiod.urn,
                );
            }
        }
    },
};

const noMtlsDowngrade: ResourceValidationPolicy = {
    name: "istio-no-mtls-downgrade",
    description: "No PeerAuthentication weakens mTLS (PERMISSIVE, DISABLE, also per port) and no DestinationRule disables TLS.",
    validateResource: (args, report) => {
        if (/^kubernetes:security\.istio\.io\/v1(beta1)?:PeerAuthentication$/.test(args.type)) {
            const weak = (v: unknown) => v === "PERMISSIVE" || v === "DISABLE";
            const mode = at(args.props, "spec.mtls.mode");
            if (weak(mode)) report(`spec.mtls.mode is ${String(mode)}: the mesh is STRICT everywhere; remove this PeerAuthentication or make it STRICT`);
            for (const [port, setting] of Object.entries(obj(at(args.props, "spec.portLevelMtls")))) {
                const m = at(setting, "mode");
                if (weak(m)) report(`spec.portLevelMtls.${port}.mode is ${String(m)}: the mesh is STRICT on every port`);
            }
        }
        if (/^kubernetes:networking\.istio\.io\/v1(alpha3|beta1)?:DestinationRule$/.test(args.type)) {
            const policies: [string, unknown][] = [["spec.trafficPolicy", at(args.props, "spec.trafficPolicy")]];
            list(at(args.props, "spec.subsets")).forEach((s, i) => policies.push([`spec.subsets[${i}].trafficPolicy`, at(s, "trafficPolicy")]));
            for (const [path, tp] of policies) {
                if (at(tp, "tls.mode") === "DISABLE") report(`${path}.tls.mode is DISABLE: traffic would leave the sidecar in plaintext, which STRICT peers refuse`);
                list(at(tp, "portLevelSettings")).forEach((s, i) => {
                    if (at(s, "tls.mode") === "DISABLE") report(`${path}.portLevelSettings[${i}].tls.mode is DISABLE: traffic would leave the sidecar in plaintext`);
                });
            }
        }
    },
};

// ---------------------------------------------------------------- mesh-wide policy (mesh:policy)

/** The label stacks/policy.ts puts on every mesh-wide object it renders. */
const MESH_POLICY_LABEL = "app.kubernetes.io/part-of";
const MESH_POLICY_LABEL_VALUE = "mesh-policy";
const ISTIO_OBJECT = /^kubernetes:(security|networking|telemetry)\.istio\.io\/[^:]+:([A-Za-z]+)$/;
const AUTHORIZATION_POLICY = /^kubernetes:security\.istio\.io\/v1(beta1)?:AuthorizationPolicy$/;
/** The east-west gateway's pod labels (components/istio/values.ts eastWestGatewayValues). */
const EASTWEST_LABELS: Record<string, string> = { app: "istio-eastwestgateway", istio: "eastwestgateway" };
/** Where remotes reach istiod through the east-west gateway (samples/multicluster/expose-istiod.yaml). */
const ISTIOD_PORTS = ["15012", "15017"];

/** The istiod releases of primaries, by provider URN; remotes, and values unknown in a first preview, are left out. */
function primaryIstiods(resources: PolicyResource[]): Map<string, PolicyResource> {
    const out = new Map<string, PolicyResource>();
    for (const r of resources.filter((x) => isType(x, TYPES.release) && istioChart(x.props) === "istiod")) {
        const profile = at(r.props, "values.profile");
        if (profile === "remote" || profile === UNKNOWN || at(r.props, "values") === UNKNOWN || !r.provider) continue;
        out.set(r.provider.urn, r);
    }
    return out;
}
/** A value with object keys sorted, so that two equal objects print the same. */
function canonical(v: unknown): string {
    const walk = (x: unknown): unknown => {
        const r = raw(x);
        if (Array.isArray(r)) return r.map(walk);
        if (r !== null && typeof r === "object") return Object.fromEntries(Object.keys(r).sort().map((k) => [k, walk((r as Props)[k])]));
        return r;
    };
    return JSON.stringify(walk(v));
}
/** In istio-system, or not known yet (the namespace resource's name is unknown in a first preview). */
const inIstioSystem = (r: PolicyResource) => {
    const ns = at(r.props, "metadata.namespace");
    return ns === ISTIO_NAMESPACE || ns === UNKNOWN;
};

const meshPolicyUniform: StackValidationPolicy = {
    name: "istio-policy-uniform",
    description:
        "Every cluster running istiod carries the same mesh-wide Istio objects (label app.kubernetes.io/part-of=mesh-policy, from mesh:policy): the same kinds, names, labels, annotations and specs, so that one policy holds on every primary.",
    remediationSteps: "Declare mesh-wide objects once in mesh:policy; components/istio/policy.ts applies that one list to every primary.",
    validateStack: (args, report) => {
        const istiods = primaryIstiods(args.resources);
        const byCluster = new Map<string, Map<string, string>>([...istiods.keys()].map((urn) => [urn, new Map()]));
        for (const r of args.resources) {
            const m = ISTIO_OBJECT.exec(r.type);
            if (!m || !r.provider || !byCluster.has(r.provider.urn) || obj(at(r.props, "metadata.labels"))[MESH_POLICY_LABEL] !== MESH_POLICY_LABEL_VALUE) continue;
            const id = `${m[2]}/${String(at(r.props, "metadata.name"))}`;
            byCluster.get(r.provider.urn)!.set(id, canonical({ type: r.type, labels: at(r.props, "metadata.labels"), annotations: at(r.props, "metadata.annotations"), spec: at(r.props, "spec") }));
        }
        const clusters = [...byCluster.entries()];
        const ids = new Set(clusters.flatMap(([, objects]) => [...objects.keys()]));
        for (const id of ids) {
            const holders = clusters.filter(([, objects]) => objects.has(id));
            const versions = new Set(holders.map(([, objects]) => objects.get(id)));
            const name = (urn: string) => istiods.get(urn)!.provider!.name;
            for (const [urn] of clusters.filter(([, objects]) => !objects.has(id))) {
                report(`${where(istiods.get(urn)!)} lacks the mesh-wide ${id} that ${holders.map(([u]) => name(u)).join(", ")} carr${holders.length === 1 ? "ies" : "y"}: every primary carries the same mesh-wide objects`, istiods.get(urn)!.urn);
            }
            if (versions.size > 1) report(`the mesh-wide ${id} differs between ${holders.map(([u]) => name(u)).join(", ")}: every primary carries the same labels, annotations and spec`);
        }
    },
};

/** An AuthorizationPolicy Istio enforces (not `istio.io/dry-run: "true"`) with action ALLOW. */
function enforcedAllow(r: PolicyResource): boolean {
    const action = at(r.props, "spec.action");
    return (action === undefined || action === "ALLOW") && obj(at(r.props, "metadata.annotations"))["istio.io/dry-run"] !== "true";
}
/** A rule that admits the given ports whoever sends (no from, no when), on any port or on these ones. */
function admitsPorts(rule: unknown, ports: string[]): boolean {
    if (at(rule, "from") !== undefined || at(rule, "when") !== undefined) return false;
    const to = at(rule, "to");
    if (to === undefined) return true;
    return list(to).some((t) => ports.every((p) => list(at(t, "operation.ports")).map(String).includes(p)));
}

const eastWestGatewayAuthorized: StackValidationPolicy = {
    name: "istio-eastwest-gateway-authorized",
    description:
        "A cluster whose mesh-wide authorization denies by default (an enforced ALLOW AuthorizationPolicy without selector in istio-system) allows its east-west gateway's istiod ports 15012 and 15017: remotes' proxies and webhooks reach istiod there, through TLS passthrough routes that carry authorization.",
    remediationSteps: "Deny by default with mesh:policy.denyByDefault, which adds the gateway's ALLOW (allow-eastwest-gateway), not with a raw AuthorizationPolicy.",
    validateStack: (args, report) => {
        const policies = args.resources.filter((r) => AUTHORIZATION_POLICY.test(r.type) && r.provider && inIstioSystem(r));
        const clusters = new Set(policies.map((r) => r.provider!.urn));
        for (const urn of clusters) {
            const own = policies.filter((r) => r.provider!.urn === urn && enforcedAllow(r));
            const meshWide = own.filter((r) => at(r.props, "spec.selector") === undefined && at(r.props, "spec.targetRefs") === undefined);
            if (meshWide.length === 0) continue;
            const open = own.some((r) => {
                const labels = obj(at(r.props, "spec.selector.matchLabels"));
                const selects = Object.entries(labels).every(([k, v]) => EASTWEST_LABELS[k] === v);
                return selects && list(at(r.props, "spec.rules")).some((rule) => admitsPorts(rule, ISTIOD_PORTS));
            });
            if (!open) {
                for (const r of meshWide) {
                    report(
                        `${where(r)} denies by default what it does not match, and no enforced ALLOW policy admits the east-west gateway's ports ${ISTIOD_PORTS.join(" and ")} ` +
                            `(selector ${canonical(EASTWEST_LABELS)} or a subset): remotes' proxies and webhooks would no longer reach istiod`,
                        r.urn,
                    );
                }
            }
        }
    },
};

// ---------------------------------------------------------------- credentials

const helmValuesNoCredentials: ResourceValidationPolicy = {
    name: "helm-values-no-credentials",
    description: "No private key, token or kubeconfig in a Helm release's values, secret or not: Helm keeps values in clear text in its release Secret.",
    remediationSteps: "Put the credential in a Kubernetes Secret (marked secret in Pulumi) and let the chart mount it.",
    validateResource: (args, report) => {
        if (!isType(args, TYPES.release, TYPES.chartV4)) return;
        for (const leaf of leaves(at(args.props, "values"), "values")) {
            const kind = credentialIn(leaf.key, leaf.value);
            if (kind) report(`${leaf.path} holds ${kind}: Helm stores a release's values in clear text (its release Secret, \`helm get values\`), so credentials never go through Helm values`);
        }
    },
};

/** Credentials in `props` that are not secret. Helm values are helm-values-no-credentials' concern. */
function plaintextCredentials(type: string, props: Props): string[] {
    const found: string[] = [];
    for (const leaf of leaves(props)) {
        if (leaf.secret || (isType({ type }, TYPES.release, TYPES.chartV4) && leaf.path.startsWith("values"))) continue;
        const kind = credentialIn(leaf.key, leaf.value);
        if (kind) found.push(`${leaf.path} holds ${kind}`);
    }
    return found;
}

const credentialsAreSecret: ResourceValidationPolicy = {
    name: "credentials-are-secret",
    description: "A resource input that holds a private key, token, password or kubeconfig is a Pulumi secret (encrypted in state).",
    remediationSteps: "Wrap the value in pulumi.secret() where it is born, or list the output in additionalSecretOutputs.",
    validateResource: (args, report) => {
        for (const problem of plaintextCredentials(args.type, args.props)) report(`${problem} but is not secret: it would be stored in clear text in the state; wrap it in pulumi.secret()`);
    },
};

const stateCredentialsEncrypted: StackValidationPolicy = {
    name: "state-credentials-encrypted",
    description: "No resource output and no stack output holds a private key, token, password or kubeconfig in clear text.",
    validateStack: (args, report) => {
        for (const r of args.resources) {
            for (const problem of plaintextCredentials(r.type, r.props)) {
                const what = isType(r, TYPES.stack) ? "stack output" : `output of ${r.name}`;
                report(`${what} ${problem} in clear text: mark it secret (pulumi.secret, additionalSecretOutputs)`, r.urn);
            }
        }
    },
};

const adminKubeconfigsNotExported: StackValidationPolicy = {
    name: "admin-kubeconfigs-not-exported",
    description: "The stack outputs carry no cluster admin kubeconfig (mesh:access.adminKubeconfigOutputs), unless this environment's policy config allows it.",
    configSchema: { properties: { allow: { type: "boolean", default: false } } },
    validateStack: (args, report) => {
        if (args.getConfig<{ allow?: boolean }>().allow) return;
        for (const stack of args.resources.filter((r) => isType(r, TYPES.stack))) {
            for (const [cluster, out] of Object.entries(obj(at(stack.props, "clusters")))) {
                if (at(out, "adminKubeconfig") !== undefined) {
                    report(`stack output clusters.${cluster}.adminKubeconfig is cluster-admin on ${cluster} for whoever reads this stack; set mesh:access.adminKubeconfigOutputs to false (teams get scoped kubeconfigs in teams.*)`, stack.urn);
                }
            }
        }
    },
};

// ---------------------------------------------------------------- PKI

/** The generation a root's common name carries (stacks/root-guard.ts rootCommonName: `<meshId> Root CA <g>`, the first without a number). */
function rootGeneration(root: PolicyResource): number | undefined {
    const cn = at(root.props, "subject.commonName");
    if (typeof cn !== "string") return undefined;
    const m = / Root CA(?: (\d+))?$/.exec(cn);
    return m ? Number(m[1] ?? 1) : undefined;
}

const rootCaProtected: StackValidationPolicy = {
    name: "root-ca-protected",
    description:
        "The mesh's root CA (its self-signed certificate and key) is `protect`ed: deleting it re-issues trust for the whole mesh. The one exception is a rotation's old root once a newer, protected root issues the intermediates (phase issue), so that phase retire can delete it. Local and dev stacks may allow otherwise (policy config).",
    remediationSteps: "Set mesh:pki.protectRoot: true in the stack file.",
    configSchema: { properties: { allowUnprotected: { type: "boolean", default: false } } },
    validateStack: (args, report) => {
        if (args.getConfig<{ allowUnprotected?: boolean }>().allowUnprotected) args.notApplicable("this environment's policy config allows an unprotected root (allowUnprotected)");
        const roots = args.resources.filter((r) => isType(r, TYPES.selfSignedCert) && at(r.props, "isCaCertificate") === true);
        // The roots that sign an intermediate CA (components/pki.ts IntermediateCa: caCertPem comes from its root).
        const issuing = new Set(args.resources.filter((r) => isType(r, TYPES.locallySignedCert)).flatMap((c) => (c.propertyDependencies["caCertPem"] ?? []).map((d) => d.urn)));
        const keysOf = (root: PolicyResource) => (root.propertyDependencies["privateKeyPem"] ?? []).filter((k) => isType(k, TYPES.privateKey));
        const isProtected = (root: PolicyResource) => root.opts.protect && keysOf(root).every((k) => k.opts.protect);
        const protectedIssuers = roots.filter((r) => issuing.has(r.urn) && isProtected(r));
        for (const root of roots) {
            const g = rootGeneration(root);
            // Root rotation, phase issue (stacks/rotation.ts): the old root still anchors trust but signs nothing,
            // and must be unprotected for phase retire to delete it. Only an older root than a protected issuer.
            const retiring = !issuing.has(root.urn) && g !== undefined && protectedIssuers.some((i) => (rootGeneration(i) ?? 0) > g);
            if (retiring) continue;
            for (const r of [root, ...keysOf(root)]) {
                if (!r.opts.protect) report(`${r.name} is the mesh's root CA ${r === root ? "certificate" : "key"} and is not protected: set mesh:pki.protectRoot: true (only local and dev stacks may run an unprotected root)`, r.urn);
            }
        }
    },
};

const caKeyStrength: ResourceValidationPolicy = {
    name: "ca-key-strength",
    description: "CA keys are ECDSA P-256/P-384/P-521 or RSA of at least 3072 bits (the tls provider's defaults, P-224 and RSA 2048, are not).",
    validateResource: (args, report) => {
        if (!isType(args, TYPES.privateKey)) return;
        const algorithm = at(args.props, "algorithm");
        if (algorithm === UNKNOWN) return;
        if (algorithm === "ECDSA") {
            const curve = at(args.props, "ecdsaCurve") ?? "P224";
            if (curve !== UNKNOWN && !["P256", "P384", "P521"].includes(String(curve))) report(`ecdsaCurve is ${String(curve)}${at(args.props, "ecdsaCurve") === undefined ? " (the tls provider's default)" : ""}: use P256 or stronger`);
        } else if (algorithm === "RSA") {
            const bits = at(args.props, "rsaBits") ?? 2048;
            if (bits !== UNKNOWN && Number(bits) < 3072) report(`rsaBits is ${String(bits)}: a CA key needs at least 3072 bits`);
        } else {
            report(`algorithm ${String(algorithm)}: the mesh's CAs use ECDSA (P256+) or RSA (3072+ bits)`);
        }
    },
};

// ---------------------------------------------------------------- providers

const explicitProviders: ResourceValidationPolicy = {
    name: "explicit-providers",
    description: "Every Kubernetes, cloud and tls resource names an explicit provider, and every Kubernetes provider an explicit kubeconfig: nothing falls back to ambient credentials or to the cluster ~/.kube/config points at.",
    validateResource: (args, report) => {
        if (args.type === TYPES.kubernetesProvider) {
            const kubeconfig = at(args.props, "kubeconfig");
            if (kubeconfig === undefined || kubeconfig === "") report(`kubernetes provider ${args.name} has no kubeconfig: it would act on whatever cluster KUBECONFIG or ~/.kube/config points at`);
            return;
        }
        // Component resources of the kubernetes package (yaml, kustomize, helm v3 Chart) have no provider of their own.
        if (!/^(kubernetes|aws|azure-native|tls):/.test(args.type) || /^kubernetes:(yaml|kustomize|helm\.sh\/v3:Chart)/.test(args.type)) return;
        const provider = args.provider;
        if (!provider) report(`${args.type} has no provider: it would use ambient credentials; pass the cluster's or cloud's provider`);
        else if (/^default(_|$)/.test(provider.name)) report(`${args.type} runs on the default provider (${provider.name}), i.e. ambient credentials and kubeconfig; pass the cluster's or cloud's provider explicitly`);
    },
};

// ---------------------------------------------------------------- remote secrets and RBAC

const remoteSecretsReadOnly: StackValidationPolicy = {
    name: "remote-secrets-read-only",
    description:
        "Remote secrets carry only a token of istio-reader-service-account (Istio's reader role, as istioctl create-remote-secret), as a plain bearer token, and nothing in the stack binds more rights to that account.",
    validateStack: (args, report) => {
        for (const secret of args.resources.filter((r) => isType(r, TYPES.secret) && at(r.props, ["metadata", "labels", MULTICLUSTER_LABEL]) === "true")) {
            const tokens = (secret.propertyDependencies["data"] ?? []).filter((d) => isType(d, TYPES.secret));
            if (tokens.length === 0) report(`remote secret ${where(secret)}: its data does not come from a ServiceAccount token Secret of ${READER_SERVICE_ACCOUNT}`, secret.urn);
            for (const t of tokens) {
                const account = at(t.props, ["metadata", "annotations", "kubernetes.io/service-account.name"]);
                if (at(t.props, "type") !== "kubernetes.io/service-account-token" || (account !== UNKNOWN && account !== READER_SERVICE_ACCOUNT)) {
                    report(`remote secret ${where(secret)} carries the token of ${t.name} (ServiceAccount ${String(account)}): only ${READER_SERVICE_ACCOUNT}'s token, bound to Istio's reader role, may leave its cluster`, secret.urn);
                }
            }
            for (const leaf of leaves(at(secret.props, "data"), "data")) {
                if (typeof leaf.value !== "string" || leaf.value === "" || isUnknown(leaf.value)) continue;
                const problem = kubeconfigUserProblem(Buffer.from(leaf.value, "base64").toString("utf8"));
                if (problem) report(`remote secret ${where(secret)} ${leaf.path}: ${problem}`, secret.urn);
            }
        }
        for (const binding of args.resources.filter((r) => isType(r, TYPES.roleBinding, TYPES.clusterRoleBinding))) {
            const subjects = list(at(binding.props, "subjects"));
            if (subjects.some((s) => at(s, "kind") === "ServiceAccount" && at(s, "name") === READER_SERVICE_ACCOUNT)) {
                report(`${where(binding)} binds ${READER_SERVICE_ACCOUNT}, whose token every other primary holds: it keeps only the reader role Istio's chart gives it`, binding.urn);
            }
        }
    },
};

/** Why a remote secret's kubeconfig is not a plain bearer-token kubeconfig (undefined when it is, or is not known yet). */
function kubeconfigUserProblem(text: string): string | undefined {
    let kubeconfig: unknown;
    try {
        kubeconfig = YAML.parse(text);
    } catch {
        return "is not a kubeconfig";
    }
    const users = list(at(kubeconfig, "users"));
    if (users.length !== 1) return `has ${users.length} users; a remote secret has one, with a bearer token`;
    const fields = Object.keys(obj(at(users[0], "user")));
    const extra = fields.filter((f) => f !== "token");
    if (extra.length > 0 || !fields.includes("token")) return `its user has ${fields.join(", ") || "no credential"}; a remote secret's user has a bearer token only (istiod refuses exec and file credentials)`;
    return undefined;
}

const rbacLeastPrivilege: ResourceValidationPolicy = {
    name: "rbac-least-privilege",
    description:
        "The stack grants no cluster-wide rights: no ClusterRoleBinding, no wildcard rules; RoleBindings bind Kubernetes' view, edit or admin role (or a Role), never in a platform namespace.",
    validateResource: (args, report) => {
        if (args.type === TYPES.clusterRoleBinding) {
            report(`a ClusterRoleBinding grants ${String(at(args.props, "roleRef.name"))} in every namespace: teams get RoleBindings in their own namespaces (mesh:access.teams)`);
        }
        if (args.type === TYPES.roleBinding) {
            const [kind, role, namespace] = ["roleRef.kind", "roleRef.name", "metadata.namespace"].map((k) => at(args.props, k));
            if (kind === "ClusterRole" && role !== UNKNOWN && !TEAM_ROLES.includes(String(role))) report(`binds ClusterRole ${String(role)}: only ${TEAM_ROLES.join(", ")} (or a namespaced Role) may be bound`);
            if (typeof namespace === "string" && PLATFORM_NAMESPACES.includes(namespace)) report(`grants ${String(role)} in ${namespace}, which belongs to the platform (${PLATFORM_NAMESPACES.join(", ")})`);
        }
        if (isType(args, TYPES.role, TYPES.clusterRole)) {
            list(at(args.props, "rules")).forEach((rule, i) => {
                for (const field of ["verbs", "resources", "apiGroups"]) {
                    if (list(at(rule, field)).includes("*")) report(`rules[${i}].${field} has "*": name what the role needs`);
                }
            });
        }
    },
};

const workloadNamespacesInMesh: ResourceValidationPolicy = {
    name: "workload-namespaces-in-mesh",
    description: "Every namespace the stack creates for workloads is enrolled in sidecar injection (istio-injection=enabled or an istio.io/rev label): STRICT peers refuse pods without a proxy.",
    validateResource: (args, report) => {
        if (args.type !== TYPES.namespace) return;
        const name = at(args.props, "metadata.name");
        if (name === UNKNOWN || MESH_SYSTEM_NAMESPACES.includes(String(name))) return;
        const injection = at(args.props, "metadata.labels.istio-injection");
        const revision = at(args.props, ["metadata", "labels", "istio.io/rev"]);
        if (injection !== UNKNOWN && injection !== "enabled" && revision === undefined) report(`namespace ${String(name)} is not enrolled in injection (label istio-injection=enabled): its pods would have no proxy`);
    },
};

// ---------------------------------------------------------------- Istio version

const istioVersionPinned: StackValidationPolicy = {
    name: "istio-version-pinned",
    description:
        "Istio's charts are pinned to one exact release, the same on every cluster of the mesh (chart version, istiod's image tag); staging and prod install them from a chart repository, not from a local directory.",
    configSchema: { properties: { requireChartRepository: { type: "boolean", default: true } } },
    validateStack: (args, report) => {
        const requireRepository = args.getConfig<{ requireChartRepository?: boolean }>().requireChartRepository ?? true;
        const versions = new Map<string, string[]>();
        const seen = (version: string, what: string) => versions.set(version, [...(versions.get(version) ?? []), what]);
        for (const r of args.resources.filter((x) => isType(x, TYPES.release))) {
            const chart = istioChart(r.props);
            if (!chart) continue;
            const fromRepository = at(r.props, "repositoryOpts.repo") !== undefined;
            const version = at(r.props, "version");
            if (fromRepository) {
                if (version === undefined || (version !== UNKNOWN && !EXACT_VERSION.test(String(version)))) {
                    report(`${where(r)}: chart ${chart} is not pinned to an exact Istio release (version: ${version === undefined ? "unset" : String(version)})`, r.urn);
                } else if (version !== UNKNOWN) seen(String(version), `${r.name} chart`);
            } else {
                if (requireRepository) report(`${where(r)}: chart ${chart} comes from a local directory (${String(at(r.props, "chart"))}); this environment installs Istio from a chart repository at a pinned version`, r.urn);
                const deployed = at(r.props, "status.version");
                if (typeof deployed === "string" && EXACT_VERSION.test(deployed)) seen(deployed, `${r.name} chart`);
            }
            if (chart === "istiod") {
                const tag = at(r.props, "values.global.tag");
                if (tag === undefined || (tag !== UNKNOWN && !EXACT_VERSION.test(String(tag)))) report(`${where(r)}: istiod's image tag (values.global.tag) is ${tag === undefined ? "unset" : String(tag)}; pin it to the release`, r.urn);
                else if (tag !== UNKNOWN) seen(String(tag), `${r.name} image`);
            }
        }
        if (versions.size > 1) {
            const detail = [...versions].map(([v, what]) => `${v}: ${what.join(", ")}`).join("; ");
            report(`the mesh runs more than one Istio release (${detail}); every cluster runs the same one`);
        }
    },
};

// ---------------------------------------------------------------- clouds

const eksExplicitAdmins: ResourceValidationPolicy = {
    name: "eks-explicit-admins",
    description: "EKS clusters authenticate through access entries only and give their creator no implicit admin (mesh:clusters[].aws.adminPrincipalArns lists the admins).",
    validateResource: (args, report) => {
        if (args.type !== TYPES.eks) return;
        const mode = at(args.props, "accessConfig.authenticationMode");
        if (mode !== UNKNOWN && mode !== "API") report(`accessConfig.authenticationMode is ${String(mode ?? "unset")}: use API (access entries), not the aws-auth ConfigMap`);
        const bootstrap = at(args.props, "accessConfig.bootstrapClusterCreatorAdminPermissions");
        if (bootstrap !== UNKNOWN && bootstrap !== false) report("accessConfig.bootstrapClusterCreatorAdminPermissions is not false: whoever creates the cluster would stay cluster-admin");
    },
};

const apiEndpointsRestricted: ResourceValidationPolicy = {
    name: "api-endpoints-restricted",
    description: "Cluster API endpoints reachable from the internet admit only listed ranges (EKS publicAccessCidrs, AKS authorizedIPRanges).",
    enforcementLevel: "advisory",
    validateResource: (args, report) => {
        if (args.type === TYPES.eks && at(args.props, "vpcConfig.endpointPublicAccess") !== false) {
            const cidrs = at(args.props, "vpcConfig.publicAccessCidrs");
            if (cidrs === undefined || (Array.isArray(cidrs) && cidrs.includes("0.0.0.0/0"))) report("the EKS API endpoint is open to the internet (publicAccessCidrs 0.0.0.0/0): list the operators' and CI's ranges in aws.publicAccessCidrs");
        }
        if (args.type === TYPES.aks && at(args.props, "apiServerAccessProfile.enablePrivateCluster") !== true) {
            const ranges = at(args.props, "apiServerAccessProfile.authorizedIPRanges");
            if (ranges === undefined || (Array.isArray(ranges) && ranges.length === 0)) report("the AKS API server is open to the internet: list the operators' and CI's ranges in azure.authorizedIpRanges");
        }
    },
};

/** Every policy of the pack; the pack's default enforcement level is mandatory. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    strictMtls,
    noMtlsDowngrade,
    meshPolicyUniform,
    eastWestGatewayAuthorized,
    helmValuesNoCredentials,
    credentialsAreSecret,
    stateCredentialsEncrypted,
    adminKubeconfigsNotExported,
    rootCaProtected,
    caKeyStrength,
    explicitProviders,
    remoteSecretsReadOnly,
    rbacLeastPrivilege,
    workloadNamespacesInMesh,
    istioVersionPinned,
    eksExplicitAdmins,
    apiEndpointsRestricted,
];
