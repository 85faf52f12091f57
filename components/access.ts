/**
 * Least-privilege access for application teams, in one cluster: each team gets its namespaces
 * (enrolled in sidecar injection) and a ServiceAccount bound to a built-in role in those
 * namespaces only, whose token is the team's kubeconfig. Admin kubeconfigs never reach app teams.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TeamConfig } from "../stacks/config";
import { ClusterHandle } from "./clusters/handle";
import { tokenKubeconfig } from "./clusters/kubeconfig";

/** The platform's namespace for the teams' ServiceAccounts and tokens; no team has rights in it. */
export const ACCESS_NAMESPACE = "mesh-access";

export interface TeamCredential {
    readonly namespaces: readonly string[];
    /** A kubeconfig for the team's ServiceAccount (secret). */
    readonly kubeconfig: pulumi.Output<string>;
}

export interface ClusterAccessArgs {
    readonly cluster: ClusterHandle;
    /** The teams that deploy to this cluster. */
    readonly teams: readonly TeamConfig[];
}

export class ClusterAccess extends pulumi.ComponentResource {
    readonly teams: ReadonlyMap<string, TeamCredential>;

    constructor(name: string, args: ClusterAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:access:ClusterAccess", name, {}, opts);
        const o = { parent: this, provider: args.cluster.provider };
        const home = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: ACCESS_NAMESPACE } }, o);
        const teams = new Map<string, TeamCredential>();
        for (const team of args.teams) {
            const n = `${name}-${team.name}`;
            const account = new k8s.core.v1.ServiceAccount(`${n}-account`, { metadata: { name: team.name, namespace: home.metadata.name } }, o);
            for (const ns of team.namespaces) {
                const namespace = new k8s.core.v1.Namespace(`${n}-${ns}`, { metadata: { name: ns, labels: { "istio-injection": "enabled", "mesh.example/team": team.name } } }, o);
                new k8s.rbac.v1.RoleBinding(
                    `${n}-${ns}-${team.role}`,
                    {
                        metadata: { name: `team-${team.name}-${team.role}`, namespace: namespace.metadata.name },
                        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: team.role },
                        subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: ACCESS_NAMESPACE }],
                    },
                    o,
                );
            }
            // Filled in by the token controller once the ServiceAccount exists (as for the reader token).
            const token = new k8s.core.v1.Secret(
                `${n}-token`,
                { metadata: { name: `${team.name}-token`, namespace: home.metadata.name, annotations: { "kubernetes.io/service-account.name": team.name } }, type: "kubernetes.io/service-account-token" },
                { ...o, dependsOn: [account], additionalSecretOutputs: ["data"] },
            );
            const kubeconfig = pulumi.all([args.cluster.apiServer, token.data]).apply(([server, data]) =>
                tokenKubeconfig({ name: args.cluster.name, server, caData: data?.["ca.crt"] ?? "", token: Buffer.from(data?.token ?? "", "base64").toString("utf8"), namespace: team.namespaces[0] }),
            );
            teams.set(team.name, { namespaces: team.namespaces, kubeconfig: pulumi.secret(kubeconfig) });
        }
        this.teams = teams;
        this.registerOutputs({});
    }
}
