/**
 * The stack configuration: its schema, defaults and every cross-field rule, read and checked in
 * one place before any resource exists. `parseMeshConfig` is pure but for reading the
 * kubeconfig files and chart directories the config names, so tests call it directly.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { Cidr, formatCidr, hostAddress, overlaps, parseCidr, subnet } from "./cidr";
import { accessEntrySuffix } from "./iam";
import { expandHome, readKubeconfig } from "./kubeconfig";
import { checkObservability, ObservabilityConfig } from "./observability";
import { planMesh } from "./topology";

/** The Istio release installed when `mesh:istio.version` is not set. */
export const DEFAULT_ISTIO_VERSION = "1.30.3";
export const DEFAULT_CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts";
/** The namespace of every key this program reads. */
export const CONFIG_NAMESPACE = "mesh";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Istio puts the network into the `topology.istio.io/network` label, so it must be a label value.
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const dnsLabel = z.string().max(63).regex(DNS_LABEL, "must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending alphanumeric)");
const positiveInt = z.number().int().positive();
const cidr = z.string().refine((s) => parseCidr(s) !== undefined, "must be an IPv4 CIDR block like 10.0.0.0/16 with no host bits set");

const iamPrincipalArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/, "must be an IAM role or user ARN");

const awsSchema = z.strictObject({
    /** EKS Kubernetes version. */
    kubernetesVersion: z.string().regex(/^1\.\d+$/, "must look like 1.33").default("1.33"),
    vpcCidr: cidr.default("10.0.0.0/16"),
    /** How many availability zones get a private and a public subnet (at least two, as EKS requires); default: as many as availabilityZones lists, else 2. */
    zones: z.number().int().min(2).max(6).optional(),
    /** The zones by name (us-east-1a, …), one per subnet pair; default: looked up among zones that need no opt-in, and kept per subnet once created. */
    availabilityZones: z.array(z.string().min(1)).min(2, "list at least two zones; EKS needs subnets in two").max(6).optional(),
    instanceType: z.string().min(1).default("m6i.large"),
    desiredSize: positiveInt.default(3),
    minSize: positiveInt.default(2),
    maxSize: positiveInt.default(6),
    /** Cannot be false while other clusters' istiods watch this one (they reach its API from other networks). */
    endpointPublicAccess: z.boolean().default(true),
    endpointPrivateAccess: z.boolean().default(true),
    /** Who may reach the public API endpoint; when restricted, the egress addresses of the clusters whose istiods watch this one are added. */
    publicAccessCidrs: z.array(cidr).min(1).default(["0.0.0.0/0"]),
    /** Required: the IAM roles and users given cluster-admin through EKS access entries; the identity Pulumi uses must be one of them. */
    adminPrincipalArns: z.array(iamPrincipalArn).optional(),
    /** An IAM role from adminPrincipalArns that Pulumi's Kubernetes provider assumes (`aws eks get-token --role-arn`); default: whoever runs Pulumi, checked against adminPrincipalArns at preview. */
    deployerRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, "must be an IAM role ARN").optional(),
    /** AWS CLI profile for the provider and for `aws eks get-token` in the kubeconfig. */
    profile: z.string().min(1).optional(),
    /** Annotations for the east-west gateway Service (merged over the NLB defaults). */
    gatewayServiceAnnotations: z.record(z.string(), z.string()).default({}),
});

const azureSchema = z.strictObject({
    kubernetesVersion: z.string().regex(/^1\.\d+(\.\d+)?$/, "must look like 1.33").default("1.33"),
    subscriptionId: z.string().uuid().optional(),
    /** An existing resource group to use; by default one is created per cluster. */
    resourceGroupName: z.string().min(1).optional(),
    vnetCidr: cidr.default("10.1.0.0/16"),
    /** Node and pod subnet (Azure CNI); default: the first /20 of the VNet. */
    subnetCidr: cidr.optional(),
    serviceCidr: cidr.default("10.200.0.0/16"),
    vmSize: z.string().min(1).default("Standard_D4s_v5"),
    nodeCount: positiveInt.default(3),
    minCount: positiveInt.default(2),
    maxCount: positiveInt.default(6),
    /** Source ranges allowed to reach the API server; empty: unrestricted. When restricted, the egress addresses of the clusters whose istiods watch this one are added. */
    authorizedIpRanges: z.array(cidr).default([]),
    gatewayServiceAnnotations: z.record(z.string(), z.string()).default({}),
});

const existingSchema = z.strictObject({
    kubeconfig: z.string().min(1),
    context: z.string().min(1).optional(),
    /** The API address istiod in other clusters uses; default: the kubeconfig's server. */
    apiServer: z.string().url().optional(),
    /** Same-network overlap checks need the pod range, when known. */
    podCidr: cidr.optional(),
    /** Public CIDRs this cluster's outbound traffic leaves from (its NAT); required when its istiod watches an EKS or AKS cluster with a restricted API allowlist. */
    egressCidrs: z.array(cidr).min(1).optional(),
    gatewayServiceAnnotations: z.record(z.string(), z.string()).default({}),
});

const clusterSchema = z.strictObject({
    name: dnsLabel,
    provider: z.enum(["aws", "azure", "existing"], { message: "must be one of aws, azure, existing" }),
    region: z.string().min(1).optional(),
    network: z.string().max(63).regex(LABEL_VALUE, "must be a Kubernetes label value (letters, digits, '-', '_', '.')"),
    role: z.enum(["primary", "remote"], { message: "must be primary or remote" }).default("primary"),
    primary: z.string().optional(),
    // Checked once, with the provider's defaults, by providerSettings.
    aws: z.unknown().optional(),
    azure: z.unknown().optional(),
    existing: z.unknown().optional(),
});

const chartValues = z.record(z.string(), z.unknown());
const istioSchema = z.strictObject({
    version: z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, "must be an Istio release like 1.30.3").default(DEFAULT_ISTIO_VERSION),
    chartRepository: z.string().min(1).default(DEFAULT_CHART_REPOSITORY),
    /** Image registry for Istio's images (the charts in Istio's source tree point at test images). */
    hub: z.string().min(1).default("docker.io/istio"),
    /** Extra Helm values per chart, merged under the values this program sets. */
    values: z.strictObject({ base: chartValues.default({}), istiod: chartValues.default({}), gateway: chartValues.default({}) }).default({ base: {}, istiod: {}, gateway: {} }),
    /** Helm's per-release timeout in seconds. */
    timeoutSeconds: positiveInt.default(600),
});

const pkiSchema = z.strictObject({
    organization: z.string().min(1).optional(),
    keyAlgorithm: z.enum(["ECDSA", "RSA"], { message: "must be ECDSA or RSA" }).default("ECDSA"),
    rootValidityDays: positiveInt.default(3650),
    intermediateValidityDays: positiveInt.default(730),
    protectRoot: z.boolean().default(true),
    /**
     * Bump to re-issue every intermediate CA now, key included (a suspected key leak, a policy
     * change); otherwise they renew themselves in the last third of their life.
     */
    intermediateGeneration: positiveInt.default(1),
    /** The current root CA's generation: it changes only through a rotation (stacks/rotation.ts). */
    rootGeneration: positiveInt.default(1),
    /** A root rotation in progress, from rootGeneration to the next: one phase per `up`. */
    rotation: z.strictObject({ phase: z.enum(["trust", "issue", "retire"], { message: "must be trust, issue or retire" }) }).optional(),
});

/** Kubernetes' built-in roles a team can be given in its namespaces. */
const TEAM_ROLES = ["view", "edit", "admin"] as const;
/** Namespaces the platform owns: no team may be given one. */
export const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system", "mesh-access"];

const teamSchema = z.strictObject({
    /** The team's name: its ServiceAccount's, and its credential's key in the outputs. */
    name: dnsLabel,
    /** Namespaces created for the team in each of its clusters, enrolled in sidecar injection. */
    namespaces: z.array(dnsLabel).min(1),
    /** Clusters the team deploys to; default: every cluster of the mesh. */
    clusters: z.array(z.string()).min(1).optional(),
    /** The built-in ClusterRole bound to the team in its namespaces, and nowhere else. */
    role: z.enum(TEAM_ROLES, { message: `must be one of ${TEAM_ROLES.join(", ")}` }).default("edit"),
});

const remoteSecretsSchema = z.strictObject({
    /**
     * Bump to rotate every cluster's reader token with an overlap: a new token Secret, every remote
     * secret switched to it in place, then the old token deleted, so no istiod loses a cluster.
     */
    tokenGeneration: positiveInt.default(1),
});

const accessSchema = z.strictObject({
    /**
     * Export each cluster's admin kubeconfig as the output `clusters.<name>.adminKubeconfig`
     * (secret). Off by default: whoever reads the stack would be cluster-admin everywhere.
     */
    adminKubeconfigOutputs: z.boolean().default(false),
    // Each team is checked on its own (checkAccess), so one bad team hides no other problem.
    teams: z.array(z.unknown()).default([]),
});

export type AwsSettings = Omit<z.infer<typeof awsSchema>, "zones" | "adminPrincipalArns"> & { zones: number; adminPrincipalArns: string[] };
export type AzureSettings = z.infer<typeof azureSchema> & { subnetCidr: string; dnsServiceIp: string };
export type ExistingSettings = z.infer<typeof existingSchema> & { context: string; apiServer: string; kubeconfigContent: string };
export type CloudProvider = "aws" | "azure" | "existing";
export type Role = "primary" | "remote";

/** One cluster's identity and settings, from which every name, label and Istio value is derived. */
export interface ClusterConfig {
    readonly name: string;
    readonly provider: CloudProvider;
    readonly region?: string;
    readonly network: string;
    readonly role: Role;
    /** For a remote: the primary whose istiod serves it. */
    readonly primary?: string;
    readonly aws?: AwsSettings;
    readonly azure?: AzureSettings;
    readonly existing?: ExistingSettings;
}

export interface IstioConfig extends z.infer<typeof istioSchema> {
    /** Set when chartRepository is a local directory: its absolute path. */
    readonly chartDirectory?: string;
}

export interface PkiConfig extends z.infer<typeof pkiSchema> {
    readonly organization: string;
}

export interface TeamConfig extends Omit<z.infer<typeof teamSchema>, "clusters"> {
    /** Resolved: every cluster when the config names none. */
    readonly clusters: readonly string[];
}

export interface AccessConfig {
    readonly adminKubeconfigOutputs: boolean;
    readonly teams: readonly TeamConfig[];
}

export interface MeshConfig {
    readonly meshId: string;
    readonly trustDomain: string;
    readonly istio: IstioConfig;
    readonly pki: PkiConfig;
    readonly clusters: readonly ClusterConfig[];
    readonly access: AccessConfig;
    readonly remoteSecrets: z.infer<typeof remoteSecretsSchema>;
    /** Metrics, the global view, Grafana, tracing, access logs, Kiali (stacks/observability.ts). */
    readonly observability: ObservabilityConfig;
}

/** Every problem found in the configuration, each naming its key. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

const KNOWN_KEYS = ["meshId", "trustDomain", "istio", "pki", "clusters", "access", "remoteSecrets", "observability"];

/**
 * Validates the raw `mesh:*` configuration (key without namespace → value, values already
 * JSON-decoded) and returns it typed with defaults applied, or throws a ConfigError listing
 * every problem.
 */
export function parseMeshConfig(raw: Record<string, unknown>): MeshConfig {
    const problems: string[] = [];
    const check = <T extends z.ZodType>(schema: T, value: unknown, key: string): z.infer<T> | undefined => {
        const result = schema.safeParse(value);
        if (result.success) return result.data;
        for (const issue of result.error.issues) problems.push(...describe(key, issue));
        return undefined;
    };

    for (const key of Object.keys(raw)) {
        if (!KNOWN_KEYS.includes(key)) problems.push(`${CONFIG_NAMESPACE}:${key}: unknown key (known: ${KNOWN_KEYS.join(", ")})`);
    }
    const meshId = raw.meshId === undefined ? (problems.push("mesh:meshId: required (a DNS-1123 label)"), undefined) : check(dnsLabel, raw.meshId, "mesh:meshId");
    const trustDomain = check(z.string().max(253).regex(/^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?$/, "must be a DNS name like cluster.local").default("cluster.local"), raw.trustDomain, "mesh:trustDomain");
    const istio = checkIstio(check(istioSchema, raw.istio ?? {}, "mesh:istio"), problems);
    const pki = checkPki(check(pkiSchema, raw.pki ?? {}, "mesh:pki"), meshId, problems);
    const clusters = checkClusters(raw.clusters, check, problems);
    // An unknown key in mesh:access is reported, and the teams are still checked.
    const access = checkAccess(check(accessSchema, raw.access ?? {}, "mesh:access") ?? accessSchema.strip().safeParse(raw.access).data, clusters, check, problems);

    const remoteSecrets = check(remoteSecretsSchema, raw.remoteSecrets ?? {}, "mesh:remoteSecrets");
    const observability = checkObservability(raw.observability, clusters, check, problems);

    if (problems.length > 0) throw new ConfigError(problems);
    return { meshId: meshId!, trustDomain: trustDomain!, istio: istio!, pki: pki!, clusters: clusters!, access: access!, remoteSecrets: remoteSecrets!, observability: observability! };
}

type Check = <T extends z.ZodType>(schema: T, value: unknown, key: string) => z.infer<T> | undefined;

function checkIstio(istio: z.infer<typeof istioSchema> | undefined, problems: string[]): IstioConfig | undefined {
    if (!istio) return undefined;
    if (/^(https?|oci):\/\//.test(istio.chartRepository)) return istio;
    const dir = path.resolve(expandHome(istio.chartRepository));
    const missing = ["base", "istiod", "gateway"].filter((chart) => !fs.existsSync(path.join(dir, chart, "Chart.yaml")));
    if (missing.length > 0) {
        problems.push(`mesh:istio.chartRepository: must be an http(s)/oci Helm repository URL or a directory holding base/, istiod/ and gateway/ charts; ${dir} lacks ${missing.join(", ")}`);
        return undefined;
    }
    return { ...istio, chartDirectory: dir };
}

/** Teams: unique names, known clusters, and no namespace that is the platform's or another team's. */
function checkAccess(access: z.infer<typeof accessSchema> | undefined, clusters: ClusterConfig[] | undefined, check: Check, problems: string[]): AccessConfig | undefined {
    if (!access) return undefined;
    const names = (clusters ?? []).map((c) => c.name);
    const owner = new Map<string, string>(); // "<cluster>/<namespace>" → key of the team that has it
    const parsed = access.teams.map((t, i) => check(teamSchema, t, `mesh:access.teams[${i}]`));
    const teams = parsed.flatMap((team, i): TeamConfig[] => {
        if (!team) return [];
        const k = `mesh:access.teams[${i}]`;
        const earlier = parsed.findIndex((t) => t?.name === team.name);
        if (earlier < i) problems.push(`${k}.name: "${team.name}" is already the name of mesh:access.teams[${earlier}]; team names must be unique`);
        for (const c of team.clusters ?? []) if (clusters && !names.includes(c)) problems.push(`${k}.clusters: "${c}" is not the name of a cluster in mesh:clusters`);
        const teamClusters = team.clusters ?? names;
        team.namespaces.forEach((ns, j) => {
            if (RESERVED_NAMESPACES.includes(ns)) problems.push(`${k}.namespaces[${j}]: "${ns}" belongs to the platform (reserved: ${RESERVED_NAMESPACES.join(", ")})`);
            for (const c of teamClusters) {
                const other = owner.get(`${c}/${ns}`);
                if (other && other !== k) problems.push(`${k}.namespaces[${j}]: "${ns}" in cluster "${c}" is already ${other}'s; a namespace has one team`);
                owner.set(`${c}/${ns}`, k);
            }
        });
        return [{ ...team, clusters: teamClusters }];
    });
    return { adminKubeconfigOutputs: access.adminKubeconfigOutputs, teams };
}

function checkPki(pki: z.infer<typeof pkiSchema> | undefined, meshId: string | undefined, problems: string[]): PkiConfig | undefined {
    if (!pki) return undefined;
    if (pki.intermediateValidityDays >= pki.rootValidityDays) {
        problems.push(`mesh:pki.intermediateValidityDays: ${pki.intermediateValidityDays} days would outlive the root CA (rootValidityDays: ${pki.rootValidityDays}); it must be shorter`);
    }
    return { ...pki, organization: pki.organization ?? meshId ?? "mesh" };
}

function checkClusters(raw: unknown, check: Check, problems: string[]): ClusterConfig[] | undefined {
    if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) {
        problems.push("mesh:clusters: required; list at least one cluster");
        return undefined;
    }
    if (!Array.isArray(raw)) {
        problems.push("mesh:clusters: must be a list of clusters");
        return undefined;
    }
    const key = (i: number) => `mesh:clusters[${i}]`;
    const parsed = raw.map((c, i) => check(clusterSchema, c, key(i)));
    const byName = new Map<string, { index: number; cluster: z.infer<typeof clusterSchema> }>();
    parsed.forEach((c, i) => {
        if (!c) return;
        const seen = byName.get(c.name);
        if (seen) problems.push(`${key(i)}.name: "${c.name}" is already the name of mesh:clusters[${seen.index}]; cluster names must be unique`);
        else byName.set(c.name, { index: i, cluster: c });
    });

    const clusters: ClusterConfig[] = [];
    const indices = new Map<ClusterConfig, number>();
    parsed.forEach((c, i) => {
        if (!c) return;
        const k = key(i);
        for (const block of ["aws", "azure", "existing"] as const) {
            if (c[block] !== undefined && c.provider !== block) problems.push(`${k}.${block}: only allowed when provider is ${block} (provider is ${c.provider})`);
        }
        if (c.provider !== "existing" && !c.region) problems.push(`${k}.region: required for provider ${c.provider}`);
        if (c.provider === "aws" && c.region && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(c.region)) problems.push(`${k}.region: "${c.region}" is not an AWS region like us-east-1`);
        if (c.provider === "azure" && c.region && !/^[a-z0-9]+$/.test(c.region)) problems.push(`${k}.region: "${c.region}" is not an Azure location like westeurope`);
        if (c.role === "primary" && c.primary !== undefined) problems.push(`${k}.primary: only allowed when role is remote; a primary runs its own istiod`);
        if (c.role === "remote") {
            const target = c.primary === undefined ? undefined : byName.get(c.primary);
            if (c.primary === undefined) problems.push(`${k}.primary: required when role is remote: name the primary whose istiod serves this cluster`);
            else if (!target) problems.push(`${k}.primary: "${c.primary}" is not the name of a cluster in mesh:clusters; a primary that serves remotes cannot be removed before they are moved to another primary or removed`);
            else if (target.cluster.role !== "primary") problems.push(`${k}.primary: "${c.primary}" is a remote; a remote must be served by a primary`);
        }
        const settings = providerSettings(c, k, check, problems);
        if (settings !== null) {
            const cluster = { ...c, ...settings } as ClusterConfig;
            clusters.push(cluster);
            indices.set(cluster, i);
        }
    });

    const roles = raw.map((c) => (c && typeof c === "object" ? ((c as { role?: unknown }).role ?? "primary") : undefined));
    if (!roles.includes("primary")) {
        problems.push("mesh:clusters: no cluster has role primary; a mesh needs at least one istiod");
    }
    checkNetworkCidrs(clusters, (c) => key(indices.get(c)!), problems);
    checkReachableApiServers(clusters, (c) => key(indices.get(c)!), problems);
    checkApiAllowlists(clusters, (c) => key(indices.get(c)!), problems);
    return clusters;
}

/** Fills provider defaults; null when the block is invalid (its problems already recorded). */
function providerSettings(c: z.infer<typeof clusterSchema>, k: string, check: Check, problems: string[]): Partial<ClusterConfig> | null {
    switch (c.provider) {
        case "aws": {
            const parsed = check(awsSchema, c.aws ?? {}, `${k}.aws`);
            if (!parsed) return null;
            const aws: AwsSettings = { ...parsed, zones: parsed.zones ?? parsed.availabilityZones?.length ?? 2, adminPrincipalArns: parsed.adminPrincipalArns ?? [] };
            checkAvailabilityZones(aws, parsed.zones, c.region, k, problems);
            checkAdminPrincipals(aws, k, problems);
            if (!(aws.minSize <= aws.desiredSize && aws.desiredSize <= aws.maxSize)) problems.push(`${k}.aws: needs minSize ≤ desiredSize ≤ maxSize (got ${aws.minSize}, ${aws.desiredSize}, ${aws.maxSize})`);
            const vpc = parseCidr(aws.vpcCidr)!;
            if (vpc.prefix + Math.ceil(Math.log2(2 * aws.zones)) > 28) problems.push(`${k}.aws.vpcCidr: ${aws.vpcCidr} is too small for ${aws.zones * 2} subnets of at least /28`);
            return { aws };
        }
        case "azure": {
            const azure = check(azureSchema, c.azure ?? {}, `${k}.azure`);
            if (!azure) return null;
            if (!(azure.minCount <= azure.nodeCount && azure.nodeCount <= azure.maxCount)) problems.push(`${k}.azure: needs minCount ≤ nodeCount ≤ maxCount (got ${azure.minCount}, ${azure.nodeCount}, ${azure.maxCount})`);
            const vnet = parseCidr(azure.vnetCidr)!;
            const subnetCidr = azure.subnetCidr ?? (vnet.prefix <= 20 ? formatCidr(subnet(vnet, 20, 0)) : azure.vnetCidr);
            const sub = parseCidr(subnetCidr)!;
            const service = parseCidr(azure.serviceCidr)!;
            if (!contains(vnet, sub)) problems.push(`${k}.azure.subnetCidr: ${subnetCidr} is not inside vnetCidr ${azure.vnetCidr}`);
            if (overlaps(vnet, service)) problems.push(`${k}.azure.serviceCidr: ${azure.serviceCidr} overlaps vnetCidr ${azure.vnetCidr}; AKS needs them apart`);
            return { azure: { ...azure, subnetCidr, dnsServiceIp: hostAddress(service, 10) } };
        }
        case "existing": {
            if (!c.existing) {
                problems.push(`${k}.existing: required for provider existing (at least existing.kubeconfig)`);
                return null;
            }
            const existing = check(existingSchema, c.existing, `${k}.existing`);
            if (!existing) return null;
            try {
                const kc = readKubeconfig(existing.kubeconfig, existing.context);
                return { existing: { ...existing, context: kc.context, apiServer: existing.apiServer ?? kc.server, kubeconfigContent: kc.kubeconfig } };
            } catch (e) {
                problems.push(`${k}.existing: ${(e as Error).message}`);
                return null;
            }
        }
    }
}

/** Clusters on one network route each other's pod IPs directly, so their address ranges must not overlap. */
function checkNetworkCidrs(clusters: ClusterConfig[], keyOf: (c: ClusterConfig) => string, problems: string[]): void {
    const ranges = clusters.flatMap((c) => clusterCidrs(c).map(([field, text]) => ({ cluster: c, field, text, cidr: parseCidr(text)! })));
    for (let a = 0; a < ranges.length; a++) {
        for (let b = a + 1; b < ranges.length; b++) {
            const x = ranges[a], y = ranges[b];
            if (x.cluster === y.cluster || x.cluster.network !== y.cluster.network) continue;
            if (overlaps(x.cidr, y.cidr)) {
                problems.push(
                    `${keyOf(y.cluster)}.${y.field}: ${y.text} overlaps ${keyOf(x.cluster)}.${x.field} (${x.text}, cluster "${x.cluster.name}"); ` +
                        `clusters on network "${x.cluster.network}" share one flat address space`,
                );
            }
        }
    }
}

/**
 * Remote secrets carry each API address as istiod sees it (istio-multicluster.md). A loopback
 * address only works where every istiod runs on this machine; an EKS or AKS istiod never could.
 */
function checkReachableApiServers(clusters: ClusterConfig[], keyOf: (c: ClusterConfig) => string, problems: string[]): void {
    const cloud = clusters.find((c) => c.provider !== "existing");
    if (!cloud) return;
    for (const c of clusters) {
        const server = c.existing?.apiServer;
        if (server && isLoopback(server)) {
            problems.push(`${keyOf(c)}.existing.apiServer: ${server} is a loopback address, which istiod in cluster "${cloud.name}" cannot reach; set existing.apiServer to the address other clusters use`);
        }
    }
}

/**
 * Explicit zones: one per subnet pair, in the cluster's region, each once. (Looked-up zones are
 * kept per subnet by the EKS component instead, so a shifting lookup never moves a subnet.)
 */
function checkAvailabilityZones(aws: AwsSettings, zones: number | undefined, region: string | undefined, k: string, problems: string[]): void {
    const names = aws.availabilityZones;
    if (!names) return;
    if (zones !== undefined && zones !== names.length) problems.push(`${k}.aws.zones: ${zones}, but availabilityZones lists ${names.length}; drop zones or make them agree`);
    names.forEach((zone, i) => {
        if (region && !(zone.startsWith(region) && zone.length > region.length)) problems.push(`${k}.aws.availabilityZones[${i}]: "${zone}" is not a zone of region ${region} (like ${region}a)`);
        const first = names.indexOf(zone);
        if (first !== i) problems.push(`${k}.aws.availabilityZones[${i}]: "${zone}" is already availabilityZones[${first}]; each subnet pair needs its own zone`);
    });
}

/**
 * Admins are explicit: no access entry follows whoever runs Pulumi, as its principalArn forces
 * replacement (terraform-provider-aws internal/service/eks/access_entry.go) and so took access away
 * from the previous deployer. Each ARN names its entry (iam.ts accessEntrySuffix), so two must never
 * share a name; the deployer role must be an admin, since nothing else would let Pulumi in.
 */
function checkAdminPrincipals(aws: AwsSettings, k: string, problems: string[]): void {
    const arns = aws.adminPrincipalArns;
    if (arns.length === 0) {
        problems.push(`${k}.aws.adminPrincipalArns: required: list the IAM roles and users that administer this cluster (EKS access entries), including the one Pulumi uses (aws.deployerRoleArn, or whoever runs pulumi up)`);
    }
    const bySuffix = new Map<string, number>();
    arns.forEach((arn, i) => {
        const suffix = accessEntrySuffix(arn);
        const j = bySuffix.get(suffix);
        if (j === undefined) bySuffix.set(suffix, i);
        else if (arns[j] === arn) problems.push(`${k}.aws.adminPrincipalArns[${i}]: ${arn} is already adminPrincipalArns[${j}]`);
        else problems.push(`${k}.aws.adminPrincipalArns[${i}]: ${arn} and adminPrincipalArns[${j}] (${arns[j]}) would both be access entry "admin-${suffix}" (named after the ARN's last segment); list only one of them`);
    });
    if (aws.deployerRoleArn !== undefined && !arns.includes(aws.deployerRoleArn)) {
        problems.push(`${k}.aws.deployerRoleArn: ${aws.deployerRoleArn} is not in ${k}.aws.adminPrincipalArns; Pulumi's Kubernetes provider acts as this role, so add it there`);
    }
}

/** The configured API allowlist of an EKS or AKS cluster when it restricts who may connect; undefined when open. */
export function restrictedApiAllowlist(c: ClusterConfig): readonly string[] | undefined {
    const cidrs = c.aws ? (c.aws.endpointPublicAccess ? c.aws.publicAccessCidrs : []) : (c.azure?.authorizedIpRanges ?? []);
    return cidrs.length > 0 && !cidrs.some((x) => parseCidr(x)?.prefix === 0) ? cidrs : undefined;
}

/**
 * Istiod watches other clusters' API servers through remote secrets (topology.ts remoteSecrets),
 * connecting from its own cluster's egress addresses. The graph adds each watcher's egress to a
 * restricted EKS or AKS allowlist (components/clusters/index.ts); for an existing watcher that
 * egress must be configured, and a private-only EKS endpoint cannot be reached from another VPC.
 */
function checkApiAllowlists(clusters: ClusterConfig[], keyOf: (c: ClusterConfig) => string, problems: string[]): void {
    const byName = new Map(clusters.map((c) => [c.name, c]));
    const { remoteSecrets } = planMesh({ clusters });
    for (const c of clusters) {
        const watchers = remoteSecrets.filter((s) => s.watched === c.name).map((s) => byName.get(s.watcher)!);
        if (watchers.length === 0) continue;
        if (c.aws && !c.aws.endpointPublicAccess) {
            problems.push(
                `${keyOf(c)}.aws.endpointPublicAccess: false, but istiod in ${watchers.map((w) => `"${w.name}"`).join(", ")} watches this cluster's API server ` +
                    `and cannot reach a private-only endpoint from another network; set it to true (publicAccessCidrs can restrict it; the watchers' egress addresses are added)`,
            );
        }
        if (!restrictedApiAllowlist(c)) continue;
        const allowlist = `${keyOf(c)}.${c.aws ? "aws.publicAccessCidrs" : "azure.authorizedIpRanges"}`;
        for (const w of watchers.filter((x) => x.existing && !x.existing.egressCidrs)) {
            problems.push(
                `${keyOf(w)}.existing.egressCidrs: required: istiod in "${w.name}" watches "${c.name}", whose API server admits only ${allowlist}; ` +
                    `list the public CIDRs "${w.name}"'s outbound traffic leaves from (its NAT or egress IPs), and they are added to that allowlist`,
            );
        }
    }
}

function isLoopback(url: string): boolean {
    const host = new URL(url).hostname;
    return host === "localhost" || host === "[::1]" || /^127\./.test(host);
}

function clusterCidrs(c: ClusterConfig): [string, string][] {
    if (c.aws) return [["aws.vpcCidr", c.aws.vpcCidr]];
    if (c.azure) return [["azure.vnetCidr", c.azure.vnetCidr]];
    if (c.existing?.podCidr) return [["existing.podCidr", c.existing.podCidr]];
    return [];
}

function contains(outer: Cidr, inner: Cidr): boolean {
    return inner.prefix >= outer.prefix && overlaps(outer, inner);
}

function describe(key: string, issue: z.core.$ZodIssue): string[] {
    const where = key + issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    if (issue.code === "unrecognized_keys") return issue.keys.map((k) => `${where}.${k}: unknown key`);
    if (issue.code === "invalid_type" && issue.input === undefined) return [`${where}: required`];
    return [`${where}: ${issue.message}`];
}
