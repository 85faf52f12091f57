import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../../stacks/config";

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
    /**
     * Public CIDRs this cluster's outbound traffic (its istiod's calls to other API servers) leaves
     * from: the EKS NAT gateway's address, the AKS outbound IP, or `existing.egressCidrs` (empty
     * when not configured). Known long before the control plane, so other clusters' allowlists can use it.
     */
    readonly egressCidrs: pulumi.Output<string[]>;
    /** Annotations the cloud needs on the east-west gateway's LoadBalancer Service. */
    readonly gatewayServiceAnnotations: Readonly<Record<string, string>>;
}

export interface ClusterArgs {
    readonly cluster: ClusterConfig;
    /**
     * Egress CIDRs of the clusters whose istiods watch this one, added to its API allowlist when
     * that is restricted (EKS publicAccessCidrs, AKS authorizedIpRanges); ignored otherwise.
     */
    readonly apiClients?: pulumi.Input<string[]>;
}

/**
 * A cluster's Kubernetes provider. Secrets are updated in place rather than replaced (the
 * provider's default treats them as immutable): a renewed intermediate must never leave a moment
 * without `cacerts`, and a remote secret deleted and re-created makes istiod drop and re-add the
 * cluster it watches.
 */
export function clusterProvider(name: string, args: Omit<k8s.ProviderArgs, "enableSecretMutable">, opts: pulumi.CustomResourceOptions): k8s.Provider {
    return new k8s.Provider(name, { ...args, enableSecretMutable: true }, opts);
}
