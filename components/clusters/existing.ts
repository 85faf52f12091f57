import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../../stacks/config";
import { ClusterHandle } from "./handle";

/** A cluster that already exists, given by kubeconfig (flattened to one context at config time). */
export class ExistingCluster extends pulumi.ComponentResource implements ClusterHandle {
    readonly name: string;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    readonly apiServer: pulumi.Output<string>;
    readonly gatewayServiceAnnotations: Readonly<Record<string, string>>;

    constructor(name: string, args: { cluster: ClusterConfig }, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:cluster:ExistingCluster", name, {}, opts);
        const existing = args.cluster.existing!;
        this.name = args.cluster.name;
        this.kubeconfig = pulumi.secret(existing.kubeconfigContent);
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, context: existing.context }, { parent: this });
        this.apiServer = pulumi.output(existing.apiServer);
        this.gatewayServiceAnnotations = existing.gatewayServiceAnnotations;
        this.registerOutputs({ apiServer: this.apiServer });
    }
}
