/**
 * Istio in one cluster: istio-system, the east-west load balancer, cacerts (primaries), the base
 * and istiod charts, mesh-wide STRICT mTLS and outlier detection, the Gateway/VirtualService
 * objects a primary's east-west gateway serves, and the reader token other clusters' istiods use
 * to watch this one.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { defaultTarget, isRevisionless, IstioRevision, newestRevision } from "../../stacks/revisions";
import { ClusterPlan } from "../../stacks/topology";
import { ClusterHandle } from "../clusters/handle";
import { CaBundle } from "../pki";
import { loadBalancerAddress } from "./gateway";
import { crossNetworkGatewaySpec, eastWestService, istiodGatewaySpec, istiodRevisionVirtualServiceSpec, istiodVirtualServiceSpec, peerAuthenticationSpec } from "./manifests";
import { CACERTS, CONTROL_PLANE_CLUSTERS_ANNOTATION, ISTIO_NAMESPACE, NETWORK_LABEL, READER_SERVICE_ACCOUNT, readerTokenSecret, RELEASES } from "./names";
import { istioRelease } from "./release";
import { DEFAULT_DESTINATION_RULE, defaultDestinationRuleSpec } from "./traffic";
import { baseValues, istiodValues, merge, MeshIdentity, revisionValues, withRevision } from "./values";

export interface ControlPlaneArgs {
    readonly mesh: MeshIdentity;
    readonly plan: ClusterPlan;
    readonly cluster: ClusterHandle;
    /** The cluster's intermediate CA; primaries only. */
    readonly ca?: CaBundle;
    /** Primaries during a root rotation: trust more than one root. */
    readonly multiRoot?: boolean;
    /** The reader token's generation (mesh:remoteSecrets.tokenGeneration). */
    readonly readerTokenGeneration: number;
    /** Remotes only: the primary whose istiod serves them, and the mesh root its certificates chain to. */
    readonly primary?: {
        readonly address: pulumi.Output<string | undefined>;
        readonly trustBundlePem: pulumi.Input<string>;
        /** Its istiod and the objects that expose it: the remote's webhooks must not point at it before it answers. */
        readonly serving: pulumi.Resource[];
    };
}

export class IstioControlPlane extends pulumi.ComponentResource {
    readonly namespace: k8s.core.v1.Namespace;
    /** The east-west gateway's LoadBalancer Service, where the plan has a gateway. */
    readonly eastWestService?: k8s.core.v1.Service;
    /** Its load balancer's IP or hostname (AWS NLBs have hostnames); undefined, with an error logged, if it has none. */
    readonly gatewayAddress?: pulumi.Output<string | undefined>;
    readonly base: k8s.helm.v3.Release;
    /** The istiod that serves the `default` tag (the only one without mesh:istio.revisions). */
    readonly istiod: k8s.helm.v3.Release;
    /** Every revision's istiod release (one without mesh:istio.revisions). */
    readonly istiods: k8s.helm.v3.Release[];
    /** The Istio objects through which the east-west gateway exposes istiod to remotes. */
    readonly istiodExposure: pulumi.Resource[] = [];
    /** The istio-reader-service-account token, filled in by the token controller (secret). */
    readonly readerToken: k8s.core.v1.Secret;

    constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:istio:ControlPlane", name, {}, opts);
        const { mesh, plan, cluster } = args;
        const o = { parent: this, provider: cluster.provider };

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: ISTIO_NAMESPACE,
                    labels: { [NETWORK_LABEL]: plan.cluster.network },
                    annotations: plan.isPrimary ? {} : { [CONTROL_PLANE_CLUSTERS_ANNOTATION]: plan.controlPlane },
                },
            },
            o,
        );
        const namespace = this.namespace.metadata.name;

        if (plan.eastWestGateway) {
            // The provider waits until the load balancer reports an address (status.loadBalancer.ingress).
            const spec = eastWestService(plan.cluster.network, cluster.gatewayServiceAnnotations);
            const service = (this.eastWestService = new k8s.core.v1.Service(`${name}-eastwest-service`, { ...spec, metadata: { ...spec.metadata, namespace } }, o));
            this.gatewayAddress = service.status.apply((status) => {
                const address = loadBalancerAddress(status);
                // Fails the update with a clear message; throwing here would abort the whole program.
                if (!address) pulumi.log.error(`the load balancer of ${plan.cluster.name}/${spec.metadata.name} has no address (status.loadBalancer.ingress is empty): other networks and remotes cannot reach this cluster`, service);
                return address;
            });
        }

        // Before istiod exists: otherwise it mints its own self-signed CA (pilot/pkg/bootstrap/istio_ca.go).
        const cacerts = args.ca
            ? new k8s.core.v1.Secret(`${name}-cacerts`, { metadata: { name: CACERTS, namespace }, type: "Opaque", stringData: pulumi.secret(args.ca) }, o)
            : undefined;

        const primary = args.primary && pulumi.all([args.primary.address, args.primary.trustBundlePem]).apply(([address, trustBundlePem]) => (address ? { address, trustBundlePem } : undefined));
        const revisions = mesh.istio.revisions?.get(plan.cluster.name);
        // CRDs first: the base chart comes from the newest revision, as Istio's canary upgrade asks.
        const baseIstio = revisions ? withRevision(mesh.istio, newestRevision(revisions)) : mesh.istio;
        this.base = istioRelease(
            `${name}-base`,
            { istio: baseIstio, chart: "base", releaseName: RELEASES.base, namespace, values: pulumi.output(primary).apply((p) => baseValues(mesh, plan, p)) },
            o,
        );
        const istiodRelease = (revision: IstioRevision | undefined, after: pulumi.Resource[]) =>
            istioRelease(
                // The revision-less install keeps today's resource and release names: no change to a running stack.
                revision && !isRevisionless(revision) ? `${name}-istiod-${revision.name}` : `${name}-istiod`,
                {
                    istio: revision ? withRevision(mesh.istio, revision) : mesh.istio,
                    chart: "istiod",
                    releaseName: revision && !isRevisionless(revision) ? `${RELEASES.istiod}-${revision.name}` : RELEASES.istiod,
                    namespace,
                    values: pulumi.all([primary, plan.exposeIstiod ? this.gatewayAddress : undefined]).apply(([p, gatewayAddress]) => {
                        const values = istiodValues(revision ? { ...mesh, istio: withRevision(mesh.istio, revision) } : mesh, plan, { primary: p, gatewayAddress, multiRoot: args.multiRoot });
                        return revision && revisions ? merge(values, revisionValues(revisions, revision)) : values;
                    }),
                },
                // A remote's webhooks (failurePolicy Fail) call its primary's istiod: pointing them there
                // before it serves remotes, at creation or when a remote moves to another primary, would
                // refuse the remote's injected pods meanwhile.
                { ...o, dependsOn: [this.base, ...(cacerts ? [cacerts] : []), ...(args.primary?.serving ?? []), ...after] },
            );
        if (!revisions) {
            this.istiod = istiodRelease(undefined, []);
            this.istiods = [this.istiod];
        } else {
            // Order within a cluster when a tag moves: a tag's webhook is one object a release owns, and
            // Helm refuses to create what another release still owns, so the revision the `default` tag
            // points at is updated after the other named one (which drops the tag first). The
            // revision-less install goes last: the new revision's tag webhook exists before it stops
            // injecting, so moving off it leaves no moment without an injector.
            const target = defaultTarget(revisions);
            const named = revisions.revisions.filter((r) => !isRevisionless(r));
            const releases = new Map<string, k8s.helm.v3.Release>();
            for (const r of [...named.filter((r) => r !== target), ...named.filter((r) => r === target)]) {
                releases.set(r.name, istiodRelease(r, r === target ? [...releases.values()] : []));
            }
            const revisionless = revisions.revisions.find(isRevisionless);
            if (revisionless) releases.set(revisionless.name, istiodRelease(revisionless, [...releases.values()]));
            this.istiod = releases.get(target.name)!;
            this.istiods = revisions.revisions.map((r) => releases.get(r.name)!);
        }

        // Istio's custom resources need their CRDs (from `base`) and the istiod that validates them:
        // on destroy they must go first, for once istiod is gone its validating webhook (failurePolicy
        // Fail) refuses every update to them, the garbage collector's removal of the
        // foregroundDeletion finalizer included, and they never disappear.
        const custom = (suffix: string, apiVersion: string, kind: string, objectName: string, spec: Record<string, unknown>) =>
            new k8s.apiextensions.CustomResource(`${name}-${suffix}`, { apiVersion, kind, metadata: { name: objectName, namespace }, spec }, { ...o, dependsOn: [this.base, ...this.istiods] });
        if (plan.isPrimary) custom("mtls", "security.istio.io/v1", "PeerAuthentication", "default", peerAuthenticationSpec());
        // Mesh-wide outlier detection, so that locality failover happens (traffic.ts); a remote's
        // proxies take it from their primary's istiod.
        const destinationRule = plan.isPrimary ? defaultDestinationRuleSpec(mesh.traffic) : undefined;
        if (destinationRule) custom("default-destination-rule", "networking.istio.io/v1", "DestinationRule", DEFAULT_DESTINATION_RULE, destinationRule);
        if (plan.crossNetworkGateway) custom("cross-network-gateway", "networking.istio.io/v1", "Gateway", "cross-network-gateway", crossNetworkGatewaySpec());
        if (plan.exposeIstiod) {
            this.istiodExposure.push(
                custom("istiod-gateway", "networking.istio.io/v1", "Gateway", "istiod-gateway", istiodGatewaySpec()),
                custom("istiod-vs", "networking.istio.io/v1", "VirtualService", "istiod-vs", istiodVirtualServiceSpec(revisions && !isRevisionless(defaultTarget(revisions)) ? `istiod-${defaultTarget(revisions).name}` : undefined)),
                ...(revisions?.revisions ?? [])
                    .filter((r) => !isRevisionless(r))
                    .map((r) => custom(`istiod-vs-${r.name}`, "networking.istio.io/v1", "VirtualService", `istiod-vs-${r.name}`, istiodRevisionVirtualServiceSpec(r.name))),
            );
        }

        // The token is only useful once the reader may read: its ServiceAccount comes from `base`,
        // but its ClusterRole and binding from the istiod chart (remote profile on remotes;
        // templates/reader-clusterrole*.yaml). Remote secrets carry this token, so they wait too.
        // A new generation is a new Secret: the remote secrets switch to it in place, and the
        // engine deletes the old one last, once nothing uses it, so no istiod loses the cluster.
        const generation = args.readerTokenGeneration;
        this.readerToken = new k8s.core.v1.Secret(
            generation > 1 ? `${name}-reader-token-${generation}` : `${name}-reader-token`,
            {
                metadata: { name: readerTokenSecret(generation), namespace, annotations: { "kubernetes.io/service-account.name": READER_SERVICE_ACCOUNT } },
                type: "kubernetes.io/service-account-token",
            },
            { ...o, dependsOn: [this.base, this.istiod] },
        );
        this.registerOutputs({});
    }
}
