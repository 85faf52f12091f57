import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_ANNOTATION, MULTICLUSTER_SECRET_LABEL, remoteKubeconfig, remoteSecretName } from "./manifests";

export interface RemoteSecretArgs {
    /** The watching cluster's istio-system namespace name and provider. */
    readonly namespace: pulumi.Input<string>;
    readonly provider: k8s.Provider;
    /** The watched cluster: its clusterName, API address as istiod sees it, and reader token Secret. */
    readonly watched: string;
    readonly apiServer: pulumi.Input<string>;
    readonly readerToken: k8s.core.v1.Secret;
}

/**
 * `istio-remote-secret-<watched>` in the watching cluster, in the form istioctl
 * create-remote-secret writes: it waits only for the two clusters it joins.
 */
export function remoteSecret(name: string, a: RemoteSecretArgs, opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret {
    const kubeconfig = pulumi.all([a.apiServer, a.readerToken.data]).apply(([server, data]) => {
        // The provider returns the Secret only once the token controller has filled both keys
        // (pulumi/pulumi-kubernetes#2048).
        const { token = "", "ca.crt": caData = "" } = data ?? {};
        return remoteKubeconfig({ cluster: a.watched, server, caData, token: Buffer.from(token, "base64").toString("utf8") });
    });
    return new k8s.core.v1.Secret(
        name,
        {
            metadata: {
                name: remoteSecretName(a.watched),
                namespace: a.namespace,
                labels: { [MULTICLUSTER_SECRET_LABEL]: "true" },
                annotations: { [CLUSTER_ANNOTATION]: a.watched },
            },
            type: "Opaque",
            // The data key must be exactly the watched clusterName, or istiod ignores the secret.
            data: { [a.watched]: pulumi.secret(kubeconfig.apply((k) => Buffer.from(k).toString("base64"))) },
        },
        { ...opts, provider: a.provider },
    );
}
