/**
 * Helm values for Istio's charts, derived from a cluster's identity. Pure functions: the
 * contract with the charts (manifests/charts in istio/istio) is pinned by tests.
 */
import { AvailabilityConfig, IstioConfig, TrafficConfig } from "../../stacks/config";
import { ClusterRevisions, defaultTarget, IstioRevision, isRevisionless, tagsOf } from "../../stacks/revisions";
import { ClusterPlan } from "../../stacks/topology";
import { gatewayAvailabilityValues, istiodAvailabilityValues } from "./ha";
import { EASTWEST_GATEWAY, EASTWEST_GATEWAY_SELECTOR, ISTIO_NAMESPACE, WEBHOOK_PORT } from "./names";
import { trafficIstiodEnv, trafficMeshConfig } from "./traffic";

/** What every cluster's Istio values derive from, besides the cluster's own plan. */
export interface MeshIdentity {
    readonly meshId: string;
    readonly trustDomain: string;
    readonly istio: IstioConfig;
    readonly availability: AvailabilityConfig;
    readonly traffic: TrafficConfig;
}

/** Where a remote's API server finds the istiod of its primary. */
export interface RemoteControlPlane {
    /** The primary's east-west gateway address: an IP (Azure, most clouds) or a hostname (AWS NLB). */
    readonly address: string;
    /** Every root the mesh trusts (PEM; two during a rotation). istiod serves its chain up to one of them. */
    readonly trustBundlePem: string;
}

type Values = Record<string, unknown>;

/**
 * The istiod chart's own test for an IPv4 `remotePilotAddress` (remote-istiod-service.yaml,
 * remote-istiod-endpointslices.yaml): anything else becomes an ExternalName Service.
 */
const CHART_IPV4 = /^([0-9]*\.){3}[0-9]*$/;

export function isChartIpAddress(address: string): boolean {
    return CHART_IPV4.test(address);
}

/**
 * The webhook settings of a remote. With an IP, the chart's Service `istiod` gets an
 * EndpointSlice at the primary's gateway and the webhooks call it. With a hostname (every AWS
 * NLB) that Service is an ExternalName, which the kube-apiserver cannot call a webhook through
 * (k8s.io/apiserver pkg/util/proxy: "unsupported service type", and by name it would dial 443,
 * where the gateway does not listen; istio/istio#45014), so the webhooks get URLs on the
 * gateway's 15017, as in Istio's external control plane install; the primary's istiod serves a
 * certificate for that host (ISTIOD_CUSTOM_HOST, see istiodValues). The CA bundles are the mesh
 * root: nothing patches a remote's validating webhooks (only its injector is patched, by the
 * primary's istiod: pilot/pkg/serviceregistry/kube/controller/multicluster.go), and with a
 * bundle set the chart makes validation fail closed.
 */
export function remoteWebhookValues(plan: ClusterPlan, primary: RemoteControlPlane): { base: Values; istiodRemote: Values } {
    const caBundle = Buffer.from(primary.trustBundlePem).toString("base64");
    const injectionPath = injectionPathOf(plan);
    if (isChartIpAddress(primary.address)) {
        return { base: { validationCABundle: caBundle }, istiodRemote: { injectionPath, injectionCABundle: caBundle } };
    }
    const url = `https://${primary.address}:${WEBHOOK_PORT}`;
    return {
        base: { validationURL: `${url}/validate`, validationCABundle: caBundle },
        istiodRemote: { injectionPath, injectionURL: `${url}${injectionPath}`, injectionCABundle: caBundle },
    };
}

/** The path on which the primary's istiod injects this remote's pods. */
export function injectionPathOf(plan: ClusterPlan): string {
    return `/inject/cluster/${plan.cluster.name}/net/${plan.cluster.network}`;
}

export function baseValues(mesh: MeshIdentity, plan: ClusterPlan, primary?: RemoteControlPlane): Values {
    // With revisions, validation (istiod-default-validator) follows the `default` tag.
    const revisions = mesh.istio.revisions?.get(plan.cluster.name);
    return merge(mesh.istio.values.base, {
        ...(plan.isPrimary ? {} : { profile: "remote" }),
        ...(primary ? { base: remoteWebhookValues(plan, primary).base } : {}),
        global: { istioNamespace: ISTIO_NAMESPACE },
        defaultRevision: revisions ? defaultTarget(revisions).name : "default",
    });
}

export interface IstiodContext {
    /** Primaries that serve remotes: their own east-west gateway address, which istiod's certificate must cover. */
    readonly gatewayAddress?: string;
    /** Remotes: their primary's istiod. */
    readonly primary?: RemoteControlPlane;
    /** Primaries during a root rotation: trust more than one root (stacks/rotation.ts). */
    readonly multiRoot?: boolean;
}

/**
 * istiod on a primary; on a remote the `remote` profile, which installs only the injector and
 * webhooks that point at the primary's istiod through `remotePilotAddress`. A primary's istiod also
 * carries mesh:availability.istiod (ha.ts) and the traffic defaults of mesh:traffic (traffic.ts);
 * a remote has neither an istiod Deployment nor a mesh config of its own.
 */
export function istiodValues(mesh: MeshIdentity, plan: ClusterPlan, context: IstiodContext = {}): Values {
    const { cluster } = plan;
    const global: Values = {
        hub: mesh.istio.hub,
        tag: mesh.istio.version,
        meshID: mesh.meshId,
        network: cluster.network,
        multiCluster: { clusterName: cluster.name },
    };
    if (!plan.isPrimary) {
        const webhooks = context.primary ? remoteWebhookValues(plan, context.primary) : { base: {}, istiodRemote: { injectionPath: injectionPathOf(plan) } };
        return merge(mesh.istio.values.istiod, {
            profile: "remote",
            global: { ...global, configCluster: true, remotePilotAddress: context.primary?.address },
            ...webhooks,
            meshConfig: { trustDomain: mesh.trustDomain },
        });
    }
    const servesRemotes = plan.remotes.length > 0;
    const env: Values = {
        ...trafficIstiodEnv(mesh.traffic, mesh.istio.version),
        // Remotes reach this istiod at its gateway's address: its serving certificate (15012 XDS,
        // 15017 webhooks) must name it (pilot/pkg/bootstrap/server.go getDNSNames).
        ...(servesRemotes && context.gatewayAddress ? { ISTIOD_CUSTOM_HOST: context.gatewayAddress } : {}),
        // istiod takes a second root only with multi-root trust (pilot/pkg/bootstrap/istio_ca.go).
        ...(context.multiRoot ? { ISTIO_MULTIROOT_MESH: "true" } : {}),
    };
    const availability = istiodAvailabilityValues(mesh.availability.istiod);
    return merge(
        mesh.istio.values.istiod,
        merge(availability, {
            global: { ...global, ...(servesRemotes ? { externalIstiod: true } : {}) },
            ...(Object.keys(env).length > 0 ? { pilot: { env } } : {}),
            meshConfig: merge(trafficMeshConfig(mesh.traffic, mesh.istio.version), {
                trustDomain: mesh.trustDomain,
                // Proxies then take the trust bundle over XDS, both roots included.
                ...(context.multiRoot ? { defaultConfig: { proxyMetadata: { PROXY_CONFIG_XDS_AGENT: "true" } } } : {}),
            }),
        }),
    );
}

/**
 * The east-west gateway's pods: chart `gateway` with `networkGateway`, which itself adds the
 * network label and ISTIO_META_REQUESTED_NETWORK_VIEW (manifests/charts/gateway/templates). The
 * Service is ours (manifests.ts eastWestServiceSpec), created before istiod so that istiod and
 * the remotes know the address from the start; `service.type: None` keeps the chart from making
 * a second one. `istio: eastwestgateway` is the selector of the Gateway resources, so it is
 * pinned rather than left to the default derived from the name. Replicas, autoscaler, budget,
 * spread and resources come from mesh:availability.eastWestGateway (ha.ts).
 */
export function eastWestGatewayValues(mesh: MeshIdentity, plan: ClusterPlan): Values {
    // With revisions the gateway follows the cluster's `default` tag by naming its revision: the
    // pods' `istio.io/rev` label changes when the tag moves, so Helm rolls them and the new
    // revision injects them (the chart's only use of `revision`: templates/_helpers.tpl).
    const revisions = mesh.istio.revisions?.get(plan.cluster.name);
    const target = revisions && defaultTarget(revisions);
    return merge(mesh.istio.values.gateway, {
        ...(target && !isRevisionless(target) ? { revision: target.name } : {}),
        ...gatewayAvailabilityValues(mesh.availability.eastWestGateway),
        name: EASTWEST_GATEWAY,
        networkGateway: plan.cluster.network,
        labels: { ...EASTWEST_GATEWAY_SELECTOR, app: EASTWEST_GATEWAY },
        service: { type: "None" },
    });
}

/** The mesh's Istio settings with one revision's version and chart source: what its releases install. */
export function withRevision(istio: IstioConfig, revision: IstioRevision): IstioConfig {
    return { ...istio, version: revision.version, chartRepository: revision.chartRepository, chartDirectory: revision.chartDirectory };
}

/**
 * What a revision's istiod release adds to istiodValues: its `revision` (the release then names
 * its Deployment, Service, injector and validator `…-<rev>`; on a remote the Service `istiod-<rev>`
 * and its EndpointSlice, istio/istio#47552), the tags that point at it in this cluster
 * (`istio-revision-tag-<tag>` webhooks, templates/revision-tags-mwc.yaml), and for the
 * revision-less install, once the `default` tag points elsewhere, no webhooks of its own
 * (`operatorManageWebhooks`): its injector matches `istio-injection=enabled` unconditionally
 * (templates/mutatingwebhook.yaml), so it would keep injecting the namespaces the tag moved.
 * Nothing at all for the revision-less install holding `default`: the same values as without revisions.
 */
export function revisionValues(c: ClusterRevisions, revision: IstioRevision): Values {
    const tags = tagsOf(c, revision);
    const revisionless = isRevisionless(revision);
    return {
        ...(revisionless ? {} : { revision: revision.name }),
        ...(tags.length > 0 ? { revisionTags: tags } : {}),
        ...(revisionless && defaultTarget(c) !== revision ? { global: { operatorManageWebhooks: true } } : {}),
    };
}

/** Deep merge where `over` wins; arrays and scalars are replaced, not merged. */
export function merge(under: Values, over: Values): Values {
    const out: Values = { ...under };
    for (const [key, value] of Object.entries(over)) {
        if (value === undefined) continue;
        const base = out[key];
        out[key] = isPlainObject(base) && isPlainObject(value) ? merge(base, value) : value;
    }
    return out;
}

function isPlainObject(v: unknown): v is Values {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
