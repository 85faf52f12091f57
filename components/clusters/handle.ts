import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** What the rest of the mesh needs from a cluster, whatever cloud it runs on. */
export interface ClusterHandle {
    /** Istio's clusterName. */
    readonly name: string;
    /** This cluster's Kubernetes provider; usable only once its nodes exist. */
    readonly provider: k8s.Provider;
    /** Admin kubeconfig (secret): Pulumi's own; exported only with mesh:access.adminKubeconfigOutputs. */
    readonly kubeconfig: pulumi.Output<string>;
    /** The API server URL as istiod in other clusters reaches it. */
    readonly apiServer: pulumi.Output<string>;
    /** Annotations the cloud needs on the east-west gateway's LoadBalancer Service. */
    readonly gatewayServiceAnnotations: Readonly<Record<string, string>>;
}
