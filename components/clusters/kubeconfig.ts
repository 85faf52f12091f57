/** Kubeconfigs for the Kubernetes provider of managed clusters. */
import * as YAML from "yaml";

export interface ExecKubeconfigArgs {
    readonly name: string;
    readonly server: string;
    /** Base64 PEM of the cluster CA. */
    readonly caData: string;
    readonly command: string;
    readonly args: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
}

/**
 * A kubeconfig whose user gets short-lived tokens from a command (e.g. `aws eks get-token`),
 * so no long-lived credential is ever stored. Such a kubeconfig is for Pulumi only: istiod
 * refuses exec users in remote secrets (pkg/kube/util.go).
 */
export function execKubeconfig(a: ExecKubeconfigArgs): string {
    return YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: a.name, cluster: { server: a.server, "certificate-authority-data": a.caData } }],
        contexts: [{ name: a.name, context: { cluster: a.name, user: a.name } }],
        "current-context": a.name,
        users: [
            {
                name: a.name,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: a.command,
                        args: [...a.args],
                        ...(a.env ? { env: Object.entries(a.env).map(([name, value]) => ({ name, value })) } : {}),
                        interactiveMode: "Never",
                    },
                },
            },
        ],
    });
}
