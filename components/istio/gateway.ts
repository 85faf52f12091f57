import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterPlan } from "../../stacks/topology";
import { ClusterHandle } from "../clusters/handle";
import { EASTWEST_GATEWAY, ISTIO_NAMESPACE, RELEASES } from "./names";
import { istioRelease } from "./release";
import { eastWestGatewayValues, MeshIdentity } from "./values";

export interface EastWestGatewayArgs {
    readonly mesh: MeshIdentity;
    readonly plan: ClusterPlan;
    readonly cluster: ClusterHandle;
    readonly namespace: pulumi.Input<string>;
    /** What must exist first: the istiod that injects the gateway's proxy, and for a remote its primary's remote secret. */
    readonly after: pulumi.Resource[];
}

/** The east-west gateway (chart `gateway` with networkGateway) and the address its load balancer got. */
export class EastWestGateway extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** The load balancer's IP or hostname (AWS NLBs have hostnames); undefined, with an error logged, if it has none. */
    readonly address: pulumi.Output<string | undefined>;

    constructor(name: string, args: EastWestGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:istio:EastWestGateway", name, {}, opts);
        const o = { parent: this, provider: args.cluster.provider };
        this.release = istioRelease(
            `${name}-release`,
            {
                istio: args.mesh.istio,
                chart: "gateway",
                releaseName: RELEASES.eastWest,
                namespace: args.namespace,
                values: eastWestGatewayValues(args.mesh, args.plan, args.cluster.gatewayServiceAnnotations),
            },
            { ...o, dependsOn: args.after },
        );
        // Helm waits until the load balancer has an address. The Service is read through an id
        // derived from the release: `.get` honours data dependencies but not dependsOn
        // (pulumi/pulumi#16395), and an unknown id skips the read at preview.
        const id = this.release.status.apply(() => `${ISTIO_NAMESPACE}/${EASTWEST_GATEWAY}`);
        const service = k8s.core.v1.Service.get(`${name}-service`, id, o);
        this.address = service.status.apply((status) => {
            const address = loadBalancerAddress(status);
            // Fails the update with a clear message; throwing here would abort the whole program.
            if (!address) pulumi.log.error(`the load balancer of ${args.plan.cluster.name}/${EASTWEST_GATEWAY} has no address (status.loadBalancer.ingress is empty): other networks and remotes cannot reach this cluster`, service);
            return address;
        });
        this.registerOutputs({ address: this.address });
    }
}

export function loadBalancerAddress(status: k8s.types.output.core.v1.ServiceStatus | undefined): string | undefined {
    const ingress = status?.loadBalancer?.ingress?.[0];
    return ingress?.ip || ingress?.hostname || undefined;
}
