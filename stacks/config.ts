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
import { atLeast } from "./istio-version";
import { deriveFailover, meshRegions } from "./failover";
import { deploymentModelProblems } from "./models";
import { checkObservability, ObservabilityConfig, TELEMETRY_NAME } from "./observability";
import { checkPolicy, MeshPolicyConfig } from "./policy";
import { planMesh } from "./topology";
import { ClusterRevisions, IstioRevision, resolveRevisions } from "./revisions";
import { effectiveTokenGeneration, isCalendarDate } from "./token-schedule";

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
    // The external control plane model is not one of this program's (README: Deployment models; stacks/models.ts).
    role: z.enum(["primary", "remote"], { message: "must be primary or remote (the external control plane model is not supported: README, Deployment models)" }).default("primary"),
    primary: z.string().optional(),
    // Checked once, with the provider's defaults, by providerSettings.
    aws: z.unknown().optional(),
    azure: z.unknown().optional(),
    existing: z.unknown().optional(),
});

const chartValues = z.record(z.string(), z.unknown());
const istioVersion = z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, "must be an Istio release like 1.30.3");
const revisionSchema = z.strictObject({
    /** The revision's name (`istio.io/rev`); `default` is the revision-less in-place install (release `istiod`). */
    name: dnsLabel,
    version: istioVersion,
    /** Default: mesh:istio.chartRepository. A directory must hold this version's charts. */
    chartRepository: z.string().min(1).optional(),
});
const istioSchema = z.strictObject({
    version: istioVersion.default(DEFAULT_ISTIO_VERSION),
    chartRepository: z.string().min(1).default(DEFAULT_CHART_REPOSITORY),
    /** Image registry for Istio's images (the charts in Istio's source tree point at test images). */
    hub: z.string().min(1).default("docker.io/istio"),
    /** Extra Helm values per chart, merged under the values this program sets. */
    values: z.strictObject({ base: chartValues.default({}), istiod: chartValues.default({}), gateway: chartValues.default({}) }).default({ base: {}, istiod: {}, gateway: {} }),
    /** Helm's per-release timeout in seconds. */
    timeoutSeconds: positiveInt.default(600),
    /** Canary upgrades: the istiod revisions every cluster runs (stacks/revisions.ts); without it, one in-place install. */
    revisions: z.array(revisionSchema).optional(),
    /** Revision tags mesh-wide: tag → revision name. */
    tags: z.record(z.string(), z.string()).optional(),
    /** Per cluster, tags that differ from mesh:istio.tags: how a tag moves one cluster at a time. */
    clusterTags: z.record(z.string(), z.record(z.string(), z.string())).optional(),
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
    /**
     * Also rotate on a schedule: one generation more every `everyDays` from `since`, applied by
     * the first `up` of each period (stacks/token-schedule.ts).
     */
    schedule: z
        .strictObject({
            everyDays: positiveInt,
            since: z.string().refine(isCalendarDate, "must be a date like 2026-11-23 (UTC)"),
        })
        .optional(),
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

// ---------------------------------------------------------------- mesh:availability (control-plane HA)

/** A Kubernetes quantity (resource.Quantity): 500m, 2Gi, 1.5, 128974848. */
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+|E[+-]?\d+|[numkKMGTPE]i?|m)?$/;
const quantity = z.union([z.string().regex(QUANTITY, "must be a Kubernetes quantity like 500m or 2Gi"), z.number().nonnegative()], { message: "must be a Kubernetes quantity like 500m or 2Gi" });
const resourceList = z.record(z.string().min(1), quantity);
const resourcesSchema = z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() });
/** An integer or a percentage ("50%"), as a PodDisruptionBudget takes them. */
const intOrPercent = z.union([positiveInt, z.string().regex(/^([1-9]\d?|100)%$/, "must be a percentage from 1% to 100%")], { message: "must be a positive integer or a percentage like 50%" });
const SPREAD_MODES = ["DoNotSchedule", "ScheduleAnyway", "Off"] as const;
const spreadMode = z.enum(SPREAD_MODES, { message: `must be one of ${SPREAD_MODES.join(", ")}` });

/**
 * One Deployment's availability: istiod's (chart `istiod`) or an east-west gateway's (chart `gateway`).
 * The charts' own defaults are the resources below; `replicas: 1` is their replica default.
 */
const workloadAvailabilitySchema = (resources: z.infer<typeof resourcesSchema>) =>
    z.strictObject({
        /** Replicas at all times: the HorizontalPodAutoscaler's minimum, or the fixed count when maxReplicas equals it. */
        replicas: positiveInt.default(2),
        /** The HorizontalPodAutoscaler's maximum (CPU 80%); default max(5, replicas); equal to replicas: no autoscaler. */
        maxReplicas: positiveInt.optional(),
        /** Requests (and limits), merged per key over the chart's; the autoscaler needs a CPU request. */
        resources: resourcesSchema.default(resources),
        /** The PodDisruptionBudget: maxUnavailable 1 by default, or minAvailable; the charts render it only above one replica. */
        disruptionBudget: z
            .strictObject({ enabled: z.boolean().default(true), minAvailable: intOrPercent.optional(), maxUnavailable: intOrPercent.optional() })
            .prefault({}),
        /** Topology spread over zones and nodes: DoNotSchedule (hard), ScheduleAnyway (preferred) or Off. */
        spread: z.strictObject({ zone: spreadMode.default("ScheduleAnyway"), node: spreadMode.default("DoNotSchedule") }).prefault({}),
    });
/** The istiod chart's default requests (manifests/charts/istio-control/istio-discovery/values.yaml `resources`). */
const ISTIOD_RESOURCES = { requests: { cpu: "500m", memory: "2048Mi" } };
/** The gateway chart's default requests and limits (manifests/charts/gateway/values.yaml `resources`). */
const GATEWAY_RESOURCES = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } };
const availabilitySchema = z.strictObject({
    /** istiod on every primary (a remote runs none). */
    istiod: workloadAvailabilitySchema(ISTIOD_RESOURCES).prefault({}),
    /** Every east-west gateway, on primaries and remotes: a remote's injection and discovery reach its primary's istiod through it. */
    eastWestGateway: workloadAvailabilitySchema(GATEWAY_RESOURCES).prefault({}),
});

// ---------------------------------------------------------------- mesh:traffic (cross-cluster traffic defaults)

/** A region name as Kubernetes nodes carry it (topology.kubernetes.io/region): Istio's failover names regions only. */
const regionName = z.string().min(1).regex(/^[^/*\s]+$/, "must be a region name (no '/', '*' or spaces: Istio's failover names regions only)");
/** A host or a wildcard host, as DestinationRule.host and serviceSettings.hosts take them. */
const meshHost = z.string().regex(/^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/, "must be a host name, or a wildcard like *.local or *.payments.svc.cluster.local");
/** A duration as Istio's API takes it (protobuf Duration written like Go's): 500ms, 10s, 1m, 1h. */
const duration = z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, "must be a duration like 500ms, 10s or 1m");
const trafficSchema = z.strictObject({
    /** The sidecar's DNS proxy (meshConfig.defaultConfig.proxyMetadata): names of services that exist only in other clusters resolve (istio/istio#37660). */
    dnsProxy: z
        .strictObject({
            /** ISTIO_META_DNS_CAPTURE on every proxy. */
            capture: z.boolean().default(true),
            /** Addresses for ServiceEntries that have none: istiod's allocator (PILOT_ENABLE_IP_AUTOALLOCATE) from Istio 1.25, ISTIO_META_DNS_AUTO_ALLOCATE before. */
            autoAllocate: z.boolean().default(true),
        })
        .prefault({}),
    /** meshConfig.localityLbSetting: prefer endpoints in the caller's zone and region, then the failover region. */
    localityLoadBalancing: z
        .strictObject({
            enabled: z.boolean().default(true),
            /** Default: derived from the clusters' regions, each to the next in mesh:clusters order (stacks/failover.ts). */
            failover: z.array(z.strictObject({ from: regionName, to: regionName })).optional(),
        })
        .prefault({}),
    /** A mesh-wide DestinationRule `default` in istio-system on every primary: without outlier detection no failover ever happens. */
    outlierDetection: z
        .strictObject({
            enabled: z.boolean().default(true),
            host: meshHost.default("*.local"),
            consecutive5xxErrors: z.number().int().min(0).default(5),
            consecutiveGatewayErrors: z.number().int().min(0).optional(),
            interval: duration.default("10s"),
            baseEjectionTime: duration.default("30s"),
            /** 100 so that every endpoint of a failing locality can be ejected and traffic fail over (Envoy's default, 10%, ejects at most one of few). */
            maxEjectionPercent: z.number().int().min(0).max(100).default(100),
        })
        .prefault({}),
    /** Hosts whose traffic stays in the caller's cluster (meshConfig.serviceSettings clusterLocal), besides Istio's own (kube-system, kubernetes.default, istiod). */
    clusterLocalHosts: z.array(meshHost).default([]),
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

export interface IstioConfig extends Omit<z.infer<typeof istioSchema>, "revisions"> {
    /** Set when chartRepository is a local directory: its absolute path. */
    readonly chartDirectory?: string;
    /** With mesh:istio.revisions: the revisions and tags of each cluster, by cluster name. */
    readonly revisions?: ReadonlyMap<string, ClusterRevisions>;
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

export type SpreadMode = (typeof SPREAD_MODES)[number];
/** One Deployment's availability, resolved: maxReplicas filled in, the disruption budget one of its two forms or off. */
export interface WorkloadAvailability {
    readonly replicas: number;
    readonly maxReplicas: number;
    readonly resources: z.infer<typeof resourcesSchema>;
    readonly disruptionBudget: false | { readonly minAvailable: number | string } | { readonly maxUnavailable: number | string };
    readonly spread: { readonly zone: SpreadMode; readonly node: SpreadMode };
}

export interface AvailabilityConfig {
    readonly istiod: WorkloadAvailability;
    readonly eastWestGateway: WorkloadAvailability;
}

export interface FailoverRule {
    readonly from: string;
    readonly to: string;
}

/** mesh:traffic, resolved: the failover list is the configured one or the one derived from the clusters' regions. */
export interface TrafficConfig {
    readonly dnsProxy: { readonly capture: boolean; readonly autoAllocate: boolean };
    readonly localityLoadBalancing: { readonly enabled: boolean; readonly failover: readonly FailoverRule[]; readonly failoverFrom: "config" | "regions" };
    /** Undefined when turned off. */
    readonly outlierDetection?: Omit<z.infer<typeof trafficSchema>["outlierDetection"], "enabled">;
    readonly clusterLocalHosts: readonly string[];
}

export interface MeshConfig {
    readonly meshId: string;
    readonly trustDomain: string;
    readonly istio: IstioConfig;
    readonly pki: PkiConfig;
    readonly clusters: readonly ClusterConfig[];
    readonly access: AccessConfig;
    readonly remoteSecrets: z.infer<typeof remoteSecretsSchema>;
    readonly availability: AvailabilityConfig;
    readonly traffic: TrafficConfig;
    /** Mesh-wide Istio objects, the same on every primary (stacks/policy.ts). */
    readonly policy: MeshPolicyConfig;
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

const KNOWN_KEYS = ["meshId", "trustDomain", "istio", "pki", "clusters", "access", "remoteSecrets", "availability", "traffic", "policy", "observability"];

/**
 * Validates the raw `mesh:*` configuration (key without namespace → value, values already
 * JSON-decoded) and returns it typed with defaults applied, or throws a ConfigError listing
 * every problem.
 */
export function parseMeshConfig(raw: Record<string, unknown>, today: Date = new Date()): MeshConfig {
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
    const istioSettings = check(istioSchema, raw.istio ?? {}, "mesh:istio");
    if (istioSettings) problems.push(...deploymentModelProblems(istioSettings));
    const istio = checkIstio(istioSettings, problems);
    const pki = checkPki(check(pkiSchema, raw.pki ?? {}, "mesh:pki"), meshId, problems);
    const clusters = checkClusters(raw.clusters, check, problems);
    // An unknown key in mesh:access is reported, and the teams are still checked.
    const access = checkAccess(check(accessSchema, raw.access ?? {}, "mesh:access") ?? accessSchema.strip().safeParse(raw.access).data, clusters, check, problems);

    const remoteSecrets = check(remoteSecretsSchema, raw.remoteSecrets ?? {}, "mesh:remoteSecrets");
    const revisions = istio && resolveRevisions(istio, istio.revisions && checkRevisionCharts(istio, problems), clusters, problems);
    const istioConfig = istio && (revisions ? { ...istio, revisions } : (istio as IstioConfig));
    const availability = checkAvailability(check(availabilitySchema, raw.availability ?? {}, "mesh:availability"), problems);
    const traffic = checkTraffic(check(trafficSchema, raw.traffic ?? {}, "mesh:traffic"), clusters, problems);
    if (istioConfig && availability && traffic) checkOwnedValues(istioConfig, traffic, problems);
    const policy = checkPolicy(raw.policy, check, problems);
    if (traffic && policy) problems.push(...outlierClashes(traffic, policy));
    const observability = checkObservability(raw.observability, clusters, check, problems);
    if (policy && observability) problems.push(...telemetryClashes(policy, observability));

    if (problems.length > 0) throw new ConfigError(problems);
    return {
        meshId: meshId!,
        trustDomain: trustDomain!,
        istio: istioConfig!,
        pki: pki!,
        clusters: clusters!,
        access: access!,
        // From here on the generation is the one in effect today (the configured one plus the schedule's periods).
        remoteSecrets: { ...remoteSecrets!, tokenGeneration: effectiveTokenGeneration(remoteSecrets!.tokenGeneration, remoteSecrets!.schedule, today) },
        availability: availability!,
        traffic: traffic!,
        policy: policy!,
        observability: observability!,
    };
}

type Check = <T extends z.ZodType>(schema: T, value: unknown, key: string) => z.infer<T> | undefined;

function checkIstio(istio: z.infer<typeof istioSchema> | undefined, problems: string[]): (z.infer<typeof istioSchema> & { chartDirectory?: string }) | undefined {
    if (!istio) return undefined;
    const chartDirectory = chartDirectoryOf(istio.chartRepository, "mesh:istio.chartRepository", problems);
    if (chartDirectory === null) return undefined;
    return chartDirectory ? { ...istio, chartDirectory } : istio;
}

/** undefined for a Helm repository URL, the absolute directory for a local one, null (problem recorded) for a bad one. */
function chartDirectoryOf(chartRepository: string, key: string, problems: string[]): string | undefined | null {
    if (/^(https?|oci):\/\//.test(chartRepository)) return undefined;
    const dir = path.resolve(expandHome(chartRepository));
    const missing = ["base", "istiod", "gateway"].filter((chart) => !fs.existsSync(path.join(dir, chart, "Chart.yaml")));
    if (missing.length > 0) {
        problems.push(`${key}: must be an http(s)/oci Helm repository URL or a directory holding base/, istiod/ and gateway/ charts; ${dir} lacks ${missing.join(", ")}`);
        return null;
    }
    return dir;
}

/** Each revision's chart source: its own, else mesh:istio.chartRepository. */
function checkRevisionCharts(istio: z.infer<typeof istioSchema>, problems: string[]): IstioRevision[] | undefined {
    let ok = true;
    const revisions = (istio.revisions ?? []).map((r, i): IstioRevision => {
        const chartRepository = r.chartRepository ?? istio.chartRepository;
        const chartDirectory = chartDirectoryOf(chartRepository, r.chartRepository ? `mesh:istio.revisions[${i}].chartRepository` : "mesh:istio.chartRepository", problems);
        if (chartDirectory === null) ok = false;
        return { name: r.name, version: r.version, chartRepository, ...(chartDirectory ? { chartDirectory } : {}) };
    });
    return ok ? revisions : undefined;
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

/** Replica bounds, a budget that lets a node drain, and a CPU request wherever an autoscaler needs one. */
function checkAvailability(availability: z.infer<typeof availabilitySchema> | undefined, problems: string[]): AvailabilityConfig | undefined {
    if (!availability) return undefined;
    const workload = (w: z.infer<ReturnType<typeof workloadAvailabilitySchema>>, k: string): WorkloadAvailability => {
        const maxReplicas = w.maxReplicas ?? Math.max(5, w.replicas);
        if (maxReplicas < w.replicas) problems.push(`${k}.maxReplicas: ${maxReplicas} is below replicas (${w.replicas}); the autoscaler's maximum must be at least its minimum`);
        // The autoscaler scales on CPU utilization, a share of the request (charts' hpa.yaml / autoscale.yaml).
        if (maxReplicas > w.replicas && w.resources.requests?.cpu === undefined) {
            problems.push(`${k}.resources.requests.cpu: required while maxReplicas (${maxReplicas}) is above replicas (${w.replicas}): the autoscaler scales on CPU utilization of the request`);
        }
        const { enabled, minAvailable, maxUnavailable } = w.disruptionBudget;
        const b = `${k}.disruptionBudget`;
        if (minAvailable !== undefined && maxUnavailable !== undefined) problems.push(`${b}: give minAvailable or maxUnavailable, not both (a PodDisruptionBudget takes one)`);
        if (!enabled && (minAvailable !== undefined || maxUnavailable !== undefined)) problems.push(`${b}: minAvailable and maxUnavailable need enabled: true`);
        // A budget that allows no eviction blocks every node drain for good.
        const blocks = minAvailable === "100%" || (typeof minAvailable === "number" && w.replicas > 1 && minAvailable >= w.replicas);
        if (blocks) problems.push(`${b}.minAvailable: ${minAvailable} of ${w.replicas} replicas would block every node drain; use fewer, or maxUnavailable`);
        const disruptionBudget = !enabled ? false : minAvailable !== undefined ? { minAvailable } : { maxUnavailable: maxUnavailable ?? 1 };
        return { replicas: w.replicas, maxReplicas, resources: w.resources, disruptionBudget, spread: w.spread };
    };
    return { istiod: workload(availability.istiod, "mesh:availability.istiod"), eastWestGateway: workload(availability.eastWestGateway, "mesh:availability.eastWestGateway") };
}

/** Failover that Istio accepts and applies (stacks/failover.ts), derived from the regions unless given. */
/**
 * With outlier detection on, the program owns the DestinationRule `default` for its host in
 * istio-system; Istio keeps only the oldest rule's traffic policy for a host in one namespace
 * (pilot/pkg/model/destination_rule.go), so a mesh:policy rule for the same host or name would
 * silently take failover away or lose its own settings.
 */
function outlierClashes(traffic: TrafficConfig, policy: MeshPolicyConfig): string[] {
    const host = traffic.outlierDetection?.host;
    if (!host) return [];
    return policy.resources.flatMap((r, i) =>
        r.kind === "DestinationRule" && (r.metadata.name === "default" || r.spec.host === host)
            ? [`mesh:policy.resources[${i}]: a DestinationRule ${r.metadata.name === "default" ? 'named "default"' : `for host "${host}"`} clashes with the mesh-wide outlier-detection rule (mesh:traffic.outlierDetection); set its settings there, or turn it off with { enabled: false }`]
            : [],
    );
}

/**
 * With tracing on, the program puts its own mesh-wide Telemetry (`mesh-default`, istio-system, no
 * selector) on every primary. A mesh:policy Telemetry without selector or targetRefs would be a
 * second one in the root namespace, of which Istio applies only one (pilot/pkg/model/telemetry.go
 * takes the oldest; istioctl analyze: MultipleTelemetriesWithoutWorkloadSelectors), so which of the
 * two counts would depend on creation order; one of the same name would be the same object twice.
 */
function telemetryClashes(policy: MeshPolicyConfig, observability: ObservabilityConfig): string[] {
    if (!observability.tracing.enabled) return [];
    return policy.resources.flatMap((r, i) =>
        r.kind !== "Telemetry"
            ? []
            : r.metadata.name === TELEMETRY_NAME
              ? [`mesh:policy.resources[${i}].metadata.name: Telemetry/${TELEMETRY_NAME} is the program's tracing Telemetry (mesh:observability.tracing); choose another name`]
              : r.spec.selector === undefined && r.spec.targetRefs === undefined
                ? [
                      `mesh:policy.resources[${i}]: a Telemetry without selector next to the program's mesh-wide one for tracing (mesh:observability.tracing, Telemetry/${TELEMETRY_NAME}); ` +
                          `Istio applies one mesh-wide Telemetry (istioctl analyze: MultipleTelemetriesWithoutWorkloadSelectors): give it a selector, or turn tracing off (mesh:observability.tracing.enabled: false) and trace from this one`,
                  ]
                : [],
    );
}

function checkTraffic(traffic: z.infer<typeof trafficSchema> | undefined, clusters: ClusterConfig[] | undefined, problems: string[]): TrafficConfig | undefined {
    if (!traffic) return undefined;
    const k = "mesh:traffic.localityLoadBalancing";
    const { enabled, failover } = traffic.localityLoadBalancing;
    const regions = meshRegions(clusters ?? []);
    if (failover !== undefined) {
        if (!enabled && failover.length > 0) problems.push(`${k}.failover: needs enabled: true (Istio ignores failover with locality load balancing off)`);
        // Only when every cluster names its region are the mesh's regions known (an existing cluster may leave it out).
        const known = clusters !== undefined && clusters.every((c) => c.region !== undefined);
        failover.forEach((f, i) => {
            if (f.from === f.to) problems.push(`${k}.failover[${i}]: from and to are both "${f.from}"; Istio refuses failover to the same region`);
            const first = failover.findIndex((g) => g.from === f.from);
            if (first < i) problems.push(`${k}.failover[${i}].from: "${f.from}" is already failover[${first}].from; Istio uses only the first entry of a region`);
            for (const side of ["from", "to"] as const) {
                if (known && !regions.includes(f[side])) problems.push(`${k}.failover[${i}].${side}: "${f[side]}" is not the region of any cluster in mesh:clusters (${regions.join(", ")})`);
            }
        });
    }
    const { enabled: detect, ...outlierDetection } = traffic.outlierDetection;
    return {
        dnsProxy: traffic.dnsProxy,
        localityLoadBalancing: failover !== undefined ? { enabled, failover, failoverFrom: "config" } : { enabled, failover: enabled ? deriveFailover(regions) : [], failoverFrom: "regions" },
        ...(detect ? { outlierDetection } : {}),
        clusterLocalHosts: traffic.clusterLocalHosts,
    };
}

/**
 * The Helm values the program sets from mesh:availability and mesh:traffic (components/istio/ha.ts
 * and traffic.ts; a test keeps this list complete). The same value in mesh:istio.values would be
 * overridden silently, since the program's values win, so it is refused, naming the key to use.
 * Paths are the istiod chart's after its `pilot.` prefix is dropped (templates/zzy_descope_legacy.yaml
 * copies `pilot.*` over the top level, so `pilot.autoscaleMin` is `autoscaleMin`).
 */
export const OWNED_VALUES: readonly {
    readonly chart: "istiod" | "gateway";
    readonly path: string;
    readonly key: string;
    /** Only when this holds (default: always). */
    readonly when?: (t: TrafficConfig, istioVersion: string) => boolean;
}[] = [
    { chart: "istiod", path: "autoscaleEnabled", key: "mesh:availability.istiod.maxReplicas" },
    { chart: "istiod", path: "autoscaleMin", key: "mesh:availability.istiod.replicas" },
    { chart: "istiod", path: "autoscaleMax", key: "mesh:availability.istiod.maxReplicas" },
    { chart: "istiod", path: "replicaCount", key: "mesh:availability.istiod.replicas" },
    { chart: "istiod", path: "resources", key: "mesh:availability.istiod.resources" },
    { chart: "istiod", path: "topologySpreadConstraints", key: "mesh:availability.istiod.spread" },
    { chart: "istiod", path: "pdb", key: "mesh:availability.istiod.disruptionBudget" },
    { chart: "istiod", path: "global.defaultPodDisruptionBudget", key: "mesh:availability.istiod.disruptionBudget" },
    { chart: "istiod", path: "meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE", key: "mesh:traffic.dnsProxy.capture" },
    { chart: "istiod", path: "meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_AUTO_ALLOCATE", key: "mesh:traffic.dnsProxy.autoAllocate", when: (_t, v) => !allocatesAddressesInIstiod(v) },
    { chart: "istiod", path: "env.PILOT_ENABLE_IP_AUTOALLOCATE", key: "mesh:traffic.dnsProxy.autoAllocate", when: (_t, v) => allocatesAddressesInIstiod(v) },
    { chart: "istiod", path: "meshConfig.localityLbSetting", key: "mesh:traffic.localityLoadBalancing" },
    { chart: "istiod", path: "meshConfig.serviceSettings", key: "mesh:traffic.clusterLocalHosts", when: (t) => t.clusterLocalHosts.length > 0 },
    { chart: "gateway", path: "replicaCount", key: "mesh:availability.eastWestGateway.replicas" },
    { chart: "gateway", path: "autoscaling.enabled", key: "mesh:availability.eastWestGateway.maxReplicas" },
    { chart: "gateway", path: "autoscaling.minReplicas", key: "mesh:availability.eastWestGateway.replicas" },
    { chart: "gateway", path: "autoscaling.maxReplicas", key: "mesh:availability.eastWestGateway.maxReplicas" },
    { chart: "gateway", path: "resources", key: "mesh:availability.eastWestGateway.resources" },
    { chart: "gateway", path: "topologySpreadConstraints", key: "mesh:availability.eastWestGateway.spread" },
    { chart: "gateway", path: "podDisruptionBudget", key: "mesh:availability.eastWestGateway.disruptionBudget" },
];

/**
 * Whether istiod allocates ServiceEntry addresses itself (PILOT_ENABLE_IP_AUTOALLOCATE, on by default
 * since Istio 1.25: releasenotes/notes/ip-allocation-v2-default.yaml), which deprecates the proxies'
 * ISTIO_META_DNS_AUTO_ALLOCATE (releasenotes/notes/54690.yaml; istiod warns on it,
 * pkg/config/validation/agent/validation.go). Proxies use istiod's addresses once they capture DNS
 * (pilot/pkg/model/service.go nodeUsesAutoallocatedIPs).
 */
export function allocatesAddressesInIstiod(istioVersion: string): boolean {
    return atLeast(istioVersion, "1.25.0");
}

/** Leaf paths of Helm values (arrays and empty objects are leaves); for istiod, `pilot.x` is `x`. */
export function valuePaths(values: Record<string, unknown>, chart: "istiod" | "gateway"): string[] {
    const walk = (v: unknown, at: string): string[] =>
        typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length > 0 ? Object.entries(v).flatMap(([k, x]) => walk(x, at ? `${at}.${k}` : k)) : [at];
    return walk(values, "").map((p) => (chart === "istiod" ? p.replace(/^pilot\./, "") : p));
}

function checkOwnedValues(istio: IstioConfig, traffic: TrafficConfig, problems: string[]): void {
    for (const chart of ["istiod", "gateway"] as const) {
        for (const path of valuePaths(istio.values[chart], chart)) {
            const owner = OWNED_VALUES.find((o) => o.chart === chart && (o.when?.(traffic, istio.version) ?? true) && (path === o.path || path.startsWith(`${o.path}.`) || o.path.startsWith(`${path}.`)));
            if (owner) problems.push(`mesh:istio.values.${chart}.${path}: the program sets ${owner.path} from ${owner.key}; set it there (the program's value would override this one)`);
        }
    }
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
