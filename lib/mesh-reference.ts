/**
 * What an application team's program needs of the mesh, read from the mesh stack through a
 * StackReference: its clusters by name, network or role, the networks, the root certificate,
 * the east-west gateways, and per team a Kubernetes provider for each of its clusters built from
 * the team's own least-privilege credential.
 *
 * The outputs are read before any resource is registered (`MeshReference.get` is async), because
 * they decide which resources exist: one provider per cluster of the team, and whatever the
 * program deploys with each. Every value is then a plain value, except the credentials, which
 * stay secret Outputs and never appear in anything the library hands out in the clear.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterEntry, MESH_OUTPUT_NAMES, MeshStackOutputs, TeamEntry } from "./contract";

export interface MeshReferenceArgs {
    /** The mesh stack, `<organization>/<project>/<stack>` (`organization/mesh/local` with a file backend). */
    readonly stack: string;
}

/** A cluster of the mesh as a consumer sees it: its entry in the `clusters` output, named, without the admin kubeconfig. */
export type ClusterInfo = Omit<ClusterEntry, "adminKubeconfig"> & { readonly name: string };

const list = (names: Iterable<string>) => [...names].map((n) => `"${n}"`).join(", ") || "none";

export class MeshReference {
    /** The StackReference every value was read through. */
    readonly stackReference: pulumi.StackReference;
    readonly meshId: string;
    readonly trustDomain: string;
    /** The root CA certificate (PEM) every workload certificate of the mesh verifies to; public. */
    readonly rootCertificatePem: string;
    readonly istio: MeshStackOutputs["istio"];
    /** network → the names of its clusters. */
    readonly networks: MeshStackOutputs["networks"];
    /** Every cluster, by name. */
    readonly clusters: readonly ClusterInfo[];
    readonly teamNames: readonly string[];
    readonly #clusters: ReadonlyMap<string, ClusterInfo>;
    readonly #teams: ReadonlyMap<string, TeamEntry>;
    readonly #access = new Map<string, TeamAccess>();

    /**
     * Reads the mesh stack (a `pulumi.StackReference` named `name`) and checks its outputs against
     * the contract; fails, before any resource exists, naming every output or key that is missing.
     */
    static async get(name: string, args: MeshReferenceArgs, opts?: pulumi.CustomResourceOptions): Promise<MeshReference> {
        const stackReference = new pulumi.StackReference(name, { name: args.stack }, opts);
        const details = await Promise.all(MESH_OUTPUT_NAMES.map((o) => stackReference.getOutputDetails(o)));
        const raw: Record<string, unknown> = {};
        MESH_OUTPUT_NAMES.forEach((o, i) => (raw[o] = details[i].value ?? details[i].secretValue));
        const missing = MESH_OUTPUT_NAMES.filter((o) => raw[o] === undefined);
        if (missing.length > 0) {
            throw new pulumi.RunError(
                `stack "${args.stack}" has no output ${list(missing)}; a mesh stack exports ${list(MESH_OUTPUT_NAMES)} (lib/contract.ts). ` +
                    "Is it the mesh stack, and has `pulumi up` run on it?",
            );
        }
        const parsed = MeshStackOutputs.safeParse(raw);
        if (!parsed.success) {
            // Never the values: the teams output holds credentials.
            const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
            throw new pulumi.RunError(`stack "${args.stack}" does not have the outputs of a mesh stack (lib/contract.ts):\n  ${problems.join("\n  ")}`);
        }
        return new MeshReference(name, stackReference, parsed.data);
    }

    private constructor(
        private readonly name: string,
        stackReference: pulumi.StackReference,
        outputs: MeshStackOutputs,
    ) {
        this.stackReference = stackReference;
        this.meshId = outputs.meshId;
        this.trustDomain = outputs.trustDomain;
        this.rootCertificatePem = outputs.rootCertificatePem;
        this.istio = outputs.istio;
        this.networks = outputs.networks;
        // Sorted: a StackReference does not keep the order in which the mesh stack wrote its maps.
        const names = Object.keys(outputs.clusters).sort();
        this.clusters = names.map((n): ClusterInfo => {
            // eslint-disable-next-line @typescript-eslint/no-unused-vars
            const { adminKubeconfig, ...entry } = outputs.clusters[n];
            return { name: n, ...entry };
        });
        this.#clusters = new Map(this.clusters.map((c) => [c.name, c]));
        this.teamNames = Object.keys(outputs.teams).sort();
        this.#teams = new Map(Object.entries(outputs.teams));
    }

    get clusterNames(): readonly string[] {
        return this.clusters.map((c) => c.name);
    }

    /** The cluster named `name`; fails naming the mesh's clusters when there is none. */
    cluster(name: string): ClusterInfo {
        const c = this.#clusters.get(name);
        if (!c) throw new pulumi.RunError(`the mesh "${this.meshId}" has no cluster "${name}"; its clusters: ${list(this.#clusters.keys())}`);
        return c;
    }

    /** The clusters on `network`; fails naming the mesh's networks when there is no such network. */
    clustersOnNetwork(network: string): readonly ClusterInfo[] {
        const names = this.networks[network];
        if (!names) throw new pulumi.RunError(`the mesh "${this.meshId}" has no network "${network}"; its networks: ${list(Object.keys(this.networks).sort())}`);
        return this.clusters.filter((c) => names.includes(c.name));
    }

    clustersWithRole(role: ClusterInfo["role"]): readonly ClusterInfo[] {
        return this.clusters.filter((c) => c.role === role);
    }

    /** Clusters running their own istiod. */
    get primaries(): readonly ClusterInfo[] {
        return this.clustersWithRole("primary");
    }

    /** Clusters served by a primary's istiod (`primary` names it). */
    get remotes(): readonly ClusterInfo[] {
        return this.clustersWithRole("remote");
    }

    /** cluster → its east-west gateway's address, for the clusters that have one. */
    get eastWestGatewayAddresses(): Readonly<Record<string, string>> {
        return Object.fromEntries(this.clusters.flatMap((c) => (c.eastWestGatewayAddress ? [[c.name, c.eastWestGatewayAddress]] : [])));
    }

    /** What team `name` may do, and its providers; fails naming the mesh's teams when there is none. */
    team(name: string): TeamAccess {
        const existing = this.#access.get(name);
        if (existing) return existing;
        const entry = this.#teams.get(name);
        if (!entry) throw new pulumi.RunError(`the mesh "${this.meshId}" has no team "${name}" (mesh:access.teams); its teams: ${list(this.teamNames)}`);
        const access = new TeamAccess(`${this.name}-${name}`, name, entry, this);
        this.#access.set(name, access);
        return access;
    }
}

/** An application team's access to the mesh: where it may deploy, and with which credential. */
export class TeamAccess {
    readonly role: TeamEntry["role"];
    /** The team's namespaces, in each of its clusters. */
    readonly namespaces: readonly string[];
    /** Its first namespace: its credentials' and providers' default. */
    readonly namespace: string;
    /** The clusters the team may deploy to, by name. */
    readonly clusters: readonly ClusterInfo[];
    readonly #kubeconfigs: ReadonlyMap<string, pulumi.Output<string>>;
    readonly #providers = new Map<string, k8s.Provider>();

    /** @internal Made by `MeshReference.team`. */
    constructor(
        private readonly resourcePrefix: string,
        readonly name: string,
        entry: TeamEntry,
        private readonly mesh: MeshReference,
    ) {
        this.role = entry.role;
        this.namespaces = entry.namespaces;
        this.namespace = entry.namespaces[0];
        // Secret from here on: a StackReference hands secret outputs over as plain values.
        this.#kubeconfigs = new Map(Object.entries(entry.clusters).map(([c, { kubeconfig }]) => [c, pulumi.secret(kubeconfig)]));
        this.clusters = mesh.clusters.filter((c) => this.#kubeconfigs.has(c.name));
    }

    get clusterNames(): readonly string[] {
        return this.clusters.map((c) => c.name);
    }

    /** The team's kubeconfig for `cluster` (secret): its ServiceAccount, which may act only in its namespaces. */
    kubeconfig(cluster: string): pulumi.Output<string> {
        const kubeconfig = this.#kubeconfigs.get(cluster);
        if (kubeconfig) return kubeconfig;
        this.mesh.cluster(cluster); // fails for a cluster the mesh does not have
        throw new pulumi.RunError(`team "${this.name}" has no access to cluster "${cluster}" (mesh:access.teams[].clusters); its clusters: ${list(this.clusterNames)}`);
    }

    /**
     * The Kubernetes provider for `cluster` with the team's credential, defaulting to the team's
     * first namespace: `<reference>-<team>-<cluster>-k8s`, made on the first call (with `opts`) and
     * returned by every later one.
     */
    provider(cluster: string, opts?: pulumi.CustomResourceOptions): k8s.Provider {
        const existing = this.#providers.get(cluster);
        if (existing) return existing;
        const provider = new k8s.Provider(`${this.resourcePrefix}-${cluster}-k8s`, { kubeconfig: this.kubeconfig(cluster), namespace: this.namespace }, opts);
        this.#providers.set(cluster, provider);
        return provider;
    }
}
