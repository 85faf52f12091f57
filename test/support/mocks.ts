/**
 * A fake cloud for the Pulumi mock runtime: records every resource and invoke, returns the outputs
 * the real providers would (endpoints, tokens, certificates, load balancer addresses), optionally
 * after a simulated creation time, and throws on any call it does not know.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";

export interface Recorded {
    readonly type: string;
    readonly name: string;
    readonly inputs: any;
    readonly provider?: string;
    readonly custom: boolean;
    /** Set for reads (`Resource.get`). */
    readonly id?: string;
    /** Resource options as the engine receives them (the mock API passes none of them to newResource). */
    readonly ignoreChanges: readonly string[];
    /** Names of the resources this one waits for: explicit dependsOn and every input's resources. */
    readonly dependsOn: readonly string[];
    /** Old names this resource answers to (`aliases`). */
    readonly aliases: readonly string[];
    /** The `replacementTrigger` option's value, if any. */
    readonly replacementTrigger?: unknown;
    /** The `protect` option. */
    readonly protect: boolean;
    /** The parent's name, if any. */
    readonly parent?: string;
    /** Per input property: the names of the resources its value came from (as the engine records them). */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** Simulated clock (minutes) when the engine would have started and finished the step. */
    readonly start: number;
    end: number;
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export function isSecretValue(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as any)[SIG_KEY] === SECRET_SIG;
}

/** Strips secret wrappers so assertions can read inputs. */
export function reveal<T = any>(v: any): T {
    if (isSecretValue(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal) as any;
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) as any;
    return v;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** `provider` is "urn::…::<name>::<id>"; the provider resource's name identifies the cluster. */
export function providerName(provider?: string): string {
    return provider?.split("::")[3] ?? "";
}

/** Simulated minutes a step takes. */
export type Delay = (r: { type: string; name: string; read: boolean }) => number;

/** What the fake clouds answer, where a test needs a different world. */
export interface MockWorld {
    /** getAvailabilityZones' names (sorted, as the provider returns them). */
    readonly zones?: readonly string[];
    /** getCallerIdentity's ARN: who runs Pulumi. */
    readonly callerArn?: string;
    /** How many times the intermediates have been issued: a renewal changes their PEM, nothing else. */
    readonly intermediateIssue?: number;
    /**
     * Stacks a StackReference may read, by name; reading any other fails, but for the program's own
     * stack (the mesh reads its last outputs), which is new, without outputs, unless given here.
     */
    readonly stacks?: Readonly<Record<string, StackState>>;
}

/** The stack the mocks run as (setMeshMocks), as a StackReference names it. */
export const OWN_STACK = "organization/mesh/test";

/** A stack's outputs as the engine hands them to a StackReference. */
export interface StackState {
    readonly outputs: Record<string, unknown>;
    /** Outputs holding a secret anywhere: the engine passes them as secrets. */
    readonly secretOutputNames: readonly string[];
}

/** Who runs Pulumi in the mock world: a CI session of this role, which the fixtures list as an EKS admin. */
export const DEPLOYER_ROLE_ARN = "arn:aws:iam::123456789012:role/platform-deployer";
export const DEFAULT_CALLER_ARN = "arn:aws:sts::123456789012:assumed-role/platform-deployer/ci";

type RequestOptions = Pick<Recorded, "ignoreChanges" | "dependsOn" | "aliases" | "replacementTrigger" | "protect" | "parent" | "propertyDependencies">;
const nameOfUrn = (urn: string) => urn.split("::").pop()!;

/**
 * Installs `mocks` as the runtime's and lets them see each registration's options, which the
 * mock monitor (runtime/mocks.js MockMonitor.registerResource) reads from the request but does not
 * pass on. It calls newResource synchronously, so the options are handed over just before.
 */
export async function setMeshMocks(mocks: MeshMocks, preview: boolean, project = "mesh"): Promise<void> {
    await pulumi.runtime.setMocks(mocks, project, "test", preview, "organization");
    const monitor = settings.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        mocks.pendingOptions = {
            ignoreChanges: req.getIgnorechangesList(),
            dependsOn: req.getDependenciesList().map(nameOfUrn),
            aliases: req.getAliasesList().map((a: any) => a.getSpec()?.getName() || nameOfUrn(a.getUrn())),
            replacementTrigger: req.getReplacementTrigger()?.toJavaScript(),
            protect: req.getProtect() ?? false,
            parent: req.getParent() ? nameOfUrn(req.getParent()) : undefined,
            propertyDependencies: Object.fromEntries([...req.getPropertydependenciesMap().entries()].map(([k, v]: [string, any]) => [k, v.getUrnsList().map(nameOfUrn)])),
        };
        try {
            return register(req, callback);
        } finally {
            mocks.pendingOptions = undefined;
        }
    };
}

/**
 * With a `delay`, steps run on a virtual clock: a step finishes `delay` minutes after it was
 * registered, and the clock only moves when the program has nothing else to do. Timings are
 * then exact and reproducible, whatever the machine's speed or load.
 */
export class MeshMocks implements pulumi.runtime.Mocks {
    readonly resources: Recorded[] = [];
    readonly calls: { token: string; inputs: any }[] = [];
    /** Set by setMeshMocks while the monitor calls newResource. */
    pendingOptions?: RequestOptions;
    private clock = 0;
    private readonly due: { at: number; finish: () => void }[] = [];

    constructor(
        private readonly delay?: Delay,
        private readonly world: MockWorld = {},
    ) {}

    async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, any> }> {
        const read = args.id !== undefined && args.id !== "";
        const options = this.pendingOptions ?? { ignoreChanges: [], dependsOn: [], aliases: [], protect: false, propertyDependencies: {} };
        const record: Recorded = { type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, custom: args.custom ?? true, id: read ? args.id : undefined, ...options, start: this.clock, end: this.clock };
        this.resources.push(record);
        const minutes = this.delay?.({ type: args.type, name: args.name, read }) ?? 0;
        if (minutes > 0) {
            await new Promise<void>((finish) => this.due.push({ at: this.clock + minutes, finish }));
            record.end = this.clock;
        }
        if (args.type === "pulumi:pulumi:StackReference") return { id: args.id, state: { ...args.inputs, ...this.stackState(args.inputs.name) } };
        return { id: read ? args.id : `${args.name}-id`, state: { ...args.inputs, ...fakeOutputs(args, this.world) } };
    }

    /** What the engine reads of another stack: its outputs, the secret ones as secrets. */
    private stackState(name: string): StackState {
        const stack = this.world.stacks?.[name] ?? (name === OWN_STACK ? { outputs: {}, secretOutputNames: [] } : undefined);
        if (!stack) throw new Error(`unexpected StackReference to ${name}`);
        const outputs = Object.fromEntries(Object.entries(stack.outputs).map(([k, v]) => [k, stack.secretOutputNames.includes(k) ? { [SIG_KEY]: SECRET_SIG, value: v } : v]));
        return { outputs, secretOutputNames: [...stack.secretOutputNames] };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        this.calls.push({ token: args.token, inputs: args.inputs });
        switch (args.token) {
            case "aws:index/getAvailabilityZones:getAvailabilityZones":
                return { names: [...(this.world.zones ?? ["zone-a", "zone-b", "zone-c", "zone-d", "zone-e", "zone-f"])], zoneIds: [] };
            case "aws:index/getCallerIdentity:getCallerIdentity": {
                const arn = this.world.callerArn ?? DEFAULT_CALLER_ARN;
                return { accountId: arn.split(":")[4], arn, userId: "AROA:ci" };
            }
            case "aws:index/getPartition:getPartition":
                return { partition: "aws", dnsSuffix: "amazonaws.com" };
            case "azure-native:authorization:getClientConfig":
                return { subscriptionId: "00000000-0000-0000-0000-000000000001", tenantId: "t", clientId: "c", objectId: "o" };
            case "azure-native:containerservice:listManagedClusterAdminCredentials":
                return { kubeconfigs: [{ name: "clusterAdmin", value: b64(`apiVersion: v1\nkind: Config\n# admin kubeconfig of ${args.inputs.resourceName}\n`) }] };
            default:
                throw new Error(`unexpected invoke ${args.token}`);
        }
    }

    /**
     * Runs the clock until the program's graph is complete: whenever nothing new is being
     * registered, the earliest pending steps finish.
     */
    async settled(): Promise<void> {
        for (;;) {
            await this.quiet();
            if (this.due.length === 0) return;
            const at = Math.min(...this.due.map((d) => d.at));
            this.clock = at;
            for (const d of this.due.filter((x) => x.at === at)) d.finish();
            this.due.splice(0, this.due.length, ...this.due.filter((x) => x.at !== at));
        }
    }

    /** Simulated minutes from the first registration to the last step's end. */
    get makespan(): number {
        return this.resources.reduce((m, r) => Math.max(m, r.end), 0) - this.resources.reduce((m, r) => Math.min(m, r.start), Infinity);
    }

    private async quiet(): Promise<void> {
        let seen = -1;
        let calm = 0;
        while (calm < 3) {
            await new Promise((r) => setImmediate(r));
            calm = this.resources.length === seen ? calm + 1 : 0;
            seen = this.resources.length;
        }
    }

    // Queries for assertions.
    ofType(type: string): Recorded[] {
        return this.resources.filter((r) => r.type === type);
    }
    named(name: string): Recorded {
        const found = this.resources.filter((r) => r.name === name);
        if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
        return found[0];
    }
}

function fakeOutputs(args: pulumi.runtime.MockResourceArgs, world: MockWorld): Record<string, any> {
    const i = args.inputs;
    const cluster = providerName(args.provider).replace(/^mesh-/, "").replace(/-k8s$/, "");
    switch (args.type) {
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: `-----BEGIN FAKE TEST KEY-----\n${args.name}\n-----END FAKE TEST KEY-----\n`, publicKeyPem: `PUBLIC(${args.name})` };
        case "tls:index/selfSignedCert:SelfSignedCert":
            return { certPem: `-----BEGIN CERTIFICATE-----\n${args.name}\n-----END CERTIFICATE-----\n`, readyForRenewal: false };
        case "tls:index/locallySignedCert:LocallySignedCert": {
            const issue = world.intermediateIssue && world.intermediateIssue > 1 ? ` issue ${world.intermediateIssue}` : "";
            return { certPem: `-----BEGIN CERTIFICATE-----\n${args.name}${issue}\n-----END CERTIFICATE-----\n`, readyForRenewal: false };
        }
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: `CSR(${args.name})` };
        case "aws:eks/cluster:Cluster":
            return {
                name: i.name,
                endpoint: `https://${i.name}.gr7.eks.amazonaws.com`,
                certificateAuthority: { data: b64(`EKS-CA(${i.name})`) },
                vpcConfig: { ...i.vpcConfig, clusterSecurityGroupId: `sg-${i.name}` },
            };
        case "azure-native:containerservice:ManagedCluster":
            return { name: i.resourceName, fqdn: `${i.resourceName}.hcp.${i.location}.azmk8s.io`, identity: { type: "SystemAssigned", principalId: `principal-${i.resourceName}` } };
        case "azure-native:resources:ResourceGroup":
            return { name: i.resourceGroupName };
        case "azure-native:network:VirtualNetwork":
            return { name: i.virtualNetworkName };
        // Documentation ranges (RFC 5737), one address per resource.
        case "aws:ec2/eip:Eip":
            return { publicIp: `198.51.100.${(hash(args.name) % 250) + 1}` };
        case "azure-native:network:PublicIPAddress":
            return { name: i.publicIpAddressName, ipAddress: `192.0.2.${(hash(args.name) % 250) + 1}` };
        case "kubernetes:core/v1:Secret":
            if (i.type !== "kubernetes.io/service-account-token") return {};
            // What the token controller fills in.
            // A rotated token (its Secret's name ends in the generation) is another token.
            return { data: { token: b64(`token-of-${cluster}${/-\d+$/.exec(i.metadata?.name ?? "")?.[0] ?? ""}`), "ca.crt": b64(`ca-of-${cluster}`), namespace: b64("istio-system") } };
        case "kubernetes:helm.sh/v3:Release":
            return { status: { name: i.name, namespace: i.namespace, status: "deployed", revision: 1, version: i.version ?? "local", chart: i.chart } };
        case "kubernetes:core/v1:Service": {
            // AWS NLBs get hostnames, other clouds IPs.
            const ingress = cluster.startsWith("aws") ? { hostname: `${cluster}-ew.elb.amazonaws.com` } : { ip: `203.0.113.${(hash(cluster) % 250) + 1}` };
            return { status: { loadBalancer: { ingress: [ingress] } } };
        }
        default:
            return {};
    }
}

function hash(s: string): number {
    let h = 0;
    for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return h;
}
