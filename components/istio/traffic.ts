/**
 * Cross-cluster traffic defaults (mesh:traffic): the proxies' DNS proxy and address allocation,
 * locality load balancing with failover between the clusters' regions, cluster-local services
 * (all in istiod's meshConfig), and a mesh-wide default of outlier detection (a DestinationRule).
 * Every primary gets exactly the same: each istiod serves its own cluster's proxies and its remotes'
 * with its own mesh config, and Istio does not copy configuration between primaries
 * (istio/istio#33253). Remotes have no mesh config of their own (the istiod chart's remote profile
 * renders no `istio` ConfigMap: files/profile-remote.yaml `configMap: false`).
 */
import { allocatesAddressesInIstiod, TrafficConfig } from "../../stacks/config";

type Values = Record<string, unknown>;

/** The mesh-wide DestinationRule's name in istio-system (the root namespace), like PeerAuthentication `default`. */
export const DEFAULT_DESTINATION_RULE = "default";

/**
 * meshConfig for an istiod on a primary. Istio's defaults without it: no DNS capture, so a service
 * that exists only in another cluster does not resolve in this one (istio/istio#37660); no
 * failover target between regions; only kube-system, kubernetes.default and istiod cluster-local
 * (pilot/pkg/model/cluster_local.go, which keeps those defaults beside the hosts given here).
 */
export function trafficMeshConfig(t: TrafficConfig, istioVersion: string): Values {
    const { enabled, failover } = t.localityLoadBalancing;
    return {
        defaultConfig: {
            proxyMetadata: {
                ISTIO_META_DNS_CAPTURE: String(t.dnsProxy.capture),
                ...(allocatesAddressesInIstiod(istioVersion) ? {} : { ISTIO_META_DNS_AUTO_ALLOCATE: String(t.dnsProxy.autoAllocate) }),
            },
        },
        localityLbSetting: { enabled, ...(enabled && failover.length > 0 ? { failover: failover.map(({ from, to }) => ({ from, to })) } : {}) },
        ...(t.clusterLocalHosts.length > 0 ? { serviceSettings: [{ settings: { clusterLocal: true }, hosts: [...t.clusterLocalHosts] }] } : {}),
    };
}

/** istiod's environment: from Istio 1.25 istiod allocates ServiceEntry addresses itself (PILOT_ENABLE_IP_AUTOALLOCATE). */
export function trafficIstiodEnv(t: TrafficConfig, istioVersion: string): Values {
    return allocatesAddressesInIstiod(istioVersion) ? { PILOT_ENABLE_IP_AUTOALLOCATE: String(t.dnsProxy.autoAllocate) } : {};
}

/**
 * The mesh-wide DestinationRule `default` in istio-system: outlier detection for every host under
 * `*.local`, without which Envoy never moves to a lower priority and locality failover never
 * happens (istio/istio#19257; pilot/pkg/networking/core/loadbalancer/loadbalancer.go applies
 * failover only with outlier detection on the cluster).
 *
 * How Istio uses it (pilot/pkg/model/push_context.go destinationRule): a DestinationRule in the
 * root namespace is the last resort, after one in the caller's namespace and one exported from the
 * service's namespace. A service's own DestinationRule therefore replaces this one entirely: there
 * is no inheritance (PILOT_ENABLE_DESTINATION_RULE_INHERITANCE was removed, istio/istio#46270), so
 * such a rule needs its own outlierDetection to keep failover. No `tls` here: auto mTLS stays on.
 * Two root-namespace rules for one host are merged with the older one's trafficPolicy winning
 * (pilot/pkg/model/destination_rule.go), so mesh-wide defaults for `*.local` belong in this one rule.
 */
export function defaultDestinationRuleSpec(t: TrafficConfig): Values | undefined {
    if (!t.outlierDetection) return undefined;
    const { host, ...outlierDetection } = t.outlierDetection;
    return { host, trafficPolicy: { outlierDetection } };
}
