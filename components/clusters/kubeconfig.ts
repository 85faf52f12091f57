/** Kubeconfigs with one cluster, one user and one context, all named after the cluster. */
import * as YAML from "yaml";

export interface KubeconfigArgs {
    readonly name: string;
    readonly server: string;
    /** Base64 PEM of the cluster CA. */
    readonly caData: string;
    /** The kubeconfig `user` entry: a bearer token, or an exec credential plugin. */
    readonly user: Record<string, unknown>;
    /** The context's default namespace. */
    readonly namespace?: string;
}

export function singleContextKubeconfig(a: KubeconfigArgs): string {
    return YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: a.name, cluster: { server: a.server, "certificate-authority-data": a.caData } }],
        contexts: [{ name: a.name, context: { cluster: a.name, user: a.name, ...(a.namespace ? { namespace: a.namespace } : {}) } }],
        "current-context": a.name,
        preferences: {},
        users: [{ name: a.name, user: a.user }],
    });
}

export interface TokenKubeconfigArgs extends Omit<KubeconfigArgs, "user"> {
    /** The bearer token, decoded. */
    readonly token: string;
}

/** A kubeconfig for a ServiceAccount token: no exec plugin, no files (istiod accepts nothing else in remote secrets). */
export function tokenKubeconfig({ token, ...cluster }: TokenKubeconfigArgs): string {
    return singleContextKubeconfig({ ...cluster, user: { token } });
}

export interface ExecKubeconfigArgs extends Omit<KubeconfigArgs, "user"> {
    readonly command: string;
    readonly args: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
}

/**
 * A kubeconfig whose user gets short-lived tokens from a command (e.g. `aws eks get-token`),
 * so no long-lived credential is ever stored. Such a kubeconfig is for Pulumi only: istiod
 * refuses exec users in remote secrets (pkg/kube/util.go).
 */
export function execKubeconfig({ command, args, env, ...cluster }: ExecKubeconfigArgs): string {
    return singleContextKubeconfig({
        ...cluster,
        user: {
            exec: {
                apiVersion: "client.authentication.k8s.io/v1beta1",
                command,
                args: [...args],
                ...(env ? { env: Object.entries(env).map(([name, value]) => ({ name, value })) } : {}),
                interactiveMode: "Never",
            },
        },
    });
}
