import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterPlan } from "../../stacks/topology";
import { ClusterHandle } from "../clusters/handle";
import { RELEASES } from "./names";
import { istioRelease } from "./release";
import { defaultTarget } from "../../stacks/revisions";
import { eastWestGatewayValues, MeshIdentity, withRevision } from "./values";

export interface EastWestGatewayArgs {
    readonly mesh: MeshIdentity;
    readonly plan: ClusterPlan;
    readonly cluster: ClusterHandle;
    readonly namespace: pulumi.Input<string>;
    /**
     * What must exist before the gateway's pods can be created: the istiod that injects them
     * (webhooks fail closed), and for a remote its primary's remote secret, gateway and istiod
     * exposure, the path its injection takes.
     */
    readonly after: pulumi.Resource[];
}

/** The east-west gateway's pods (chart `gateway`); their Service is the control plane's `eastWestService`. */
export class EastWestGateway extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: EastWestGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:istio:EastWestGateway", name, {}, opts);
        // With revisions, the chart of the revision the cluster's `default` tag points at: the
        // gateway is upgraded when the tag moves, not before.
        const revisions = args.mesh.istio.revisions?.get(args.plan.cluster.name);
        this.release = istioRelease(
            `${name}-release`,
            { istio: revisions ? withRevision(args.mesh.istio, defaultTarget(revisions)) : args.mesh.istio, chart: "gateway", releaseName: RELEASES.eastWest, namespace: args.namespace, values: eastWestGatewayValues(args.mesh, args.plan) },
            { parent: this, provider: args.cluster.provider, dependsOn: args.after },
        );
        this.registerOutputs({});
    }
}

export function loadBalancerAddress(status: k8s.types.output.core.v1.ServiceStatus | undefined): string | undefined {
    const ingress = status?.loadBalancer?.ingress?.[0];
    return ingress?.ip || ingress?.hostname || undefined;
}
