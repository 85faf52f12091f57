import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterArgs, ClusterHandle, clusterProvider } from "./handle";

/** A cluster that already exists, given by kubeconfig (flattened to one context at config time). */
export class ExistingCluster extends pulumi.ComponentResource implements ClusterHandle {
    readonly name: string;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly apiServer: pulumi.Output<string>;
    readonly egressCidrs: pulumi.Output<string[]>;
    readonly gatewayServiceAnnotations: Readonly<Record<string, string>>;

    /** Its own API allowlist, if any, is outside this program's control: `args.apiClients` is not used. */
    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:cluster:ExistingCluster", name, {}, opts);
        const existing = args.cluster.existing!;
        this.name = args.cluster.name;
        this.kubeconfig = pulumi.secret(existing.kubeconfigContent);
        this.provider = clusterProvider(`${name}-k8s`, { kubeconfig: this.kubeconfig, context: existing.context }, { parent: this });
        this.apiServer = pulumi.output(existing.apiServer);
        this.egressCidrs = pulumi.output(existing.egressCidrs ?? []);
        this.gatewayServiceAnnotations = existing.gatewayServiceAnnotations;
        this.registerOutputs({ apiServer: this.apiServer, egressCidrs: this.egressCidrs });
    }
}
