/**
 * Helm values for Istio's charts, derived from a cluster's identity. Pure functions: the
 * contract with the charts (manifests/charts in istio/istio) is pinned by tests.
 */
import { IstioConfig } from "../../stacks/config";
import { ClusterPlan } from "../../stacks/topology";
import { EASTWEST_GATEWAY, EASTWEST_GATEWAY_SELECTOR, ISTIO_NAMESPACE } from "./names";


export interface MeshIdentity {
    readonly meshId: string;
    readonly trustDomain: string;
    readonly istio: IstioConfig;
}

type Values = Record<string, unknown>;

export function baseValues(mesh: MeshIdentity, plan: ClusterPlan): Values {
    return merge(mesh.istio.values.base, {
        ...(plan.isPrimary ? {} : { profile: "remote" }),
        global: { istioNamespace: ISTIO_NAMESPACE },
        defaultRevision: "default",
    });
}

/**
 * istiod on a primary; on a remote the `remote` profile, which installs only the injector and
 * webhooks that point at the primary's istiod through `remotePilotAddress`.
 */
export function istiodValues(mesh: MeshIdentity, plan: ClusterPlan, remotePilotAddress?: string): Values {
    const { cluster } = plan;
    const global: Values = {
        hub: mesh.istio.hub,
        tag: mesh.istio.version,
        meshID: mesh.meshId,
        network: cluster.network,
        multiCluster: { clusterName: cluster.name },
    };
    const ours: Values = plan.isPrimary
        ? {
              global: { ...global, ...(plan.remotes.length > 0 ? { externalIstiod: true } : {}) },
              meshConfig: { trustDomain: mesh.trustDomain },
          }
        : {
              profile: "remote",
              global: { ...global, configCluster: true, remotePilotAddress },
              istiodRemote: { injectionPath: `/inject/cluster/${cluster.name}/net/${cluster.network}` },
              meshConfig: { trustDomain: mesh.trustDomain },
          };
    return merge(mesh.istio.values.istiod, ours);
}

/**
 * The east-west gateway: chart `gateway` with `networkGateway`, which itself adds the network
 * label, the 15021/15443/15012/15017 ports and ISTIO_META_REQUESTED_NETWORK_VIEW
 * (manifests/charts/gateway/templates). `istio: eastwestgateway` is the selector of the
 * Gateway resources, so it is pinned rather than left to the default derived from the name.
 */
export function eastWestGatewayValues(mesh: MeshIdentity, plan: ClusterPlan, serviceAnnotations: Record<string, string>): Values {
    return merge(mesh.istio.values.gateway, {
        name: EASTWEST_GATEWAY,
        networkGateway: plan.cluster.network,
        labels: { ...EASTWEST_GATEWAY_SELECTOR, app: EASTWEST_GATEWAY },
        service: { type: "LoadBalancer", ...(Object.keys(serviceAnnotations).length > 0 ? { annotations: serviceAnnotations } : {}) },
    });
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
