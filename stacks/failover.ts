/**
 * Locality failover derived from the clusters' regions (mesh:traffic.localityLoadBalancing when
 * it names no `failover`). Pure, so the rule is testable over any topology.
 *
 * What Istio does with the list (pilot/pkg/networking/core/loadbalancer/loadbalancer.go,
 * applyLocalityFailover): endpoints outside the caller's region get priority 3 if they are in
 * the `to` region of the first entry whose `from` is the caller's region, 4 otherwise. So each
 * region has at most one failover target that matters, the other regions still follow after it,
 * and a region without an entry spreads over all other regions alike. Istio refuses `from` equal
 * to `to`, and zones or wildcards in either (pkg/config/validation/agent/validation.go,
 * ValidateLocalityLbSetting).
 */
import type { FailoverRule } from "./config";

/** The regions of the mesh's clusters, each once, in the order the clusters are listed; clusters without a region add none. */
export function meshRegions(clusters: readonly { readonly region?: string }[]): string[] {
    return [...new Set(clusters.flatMap((c) => (c.region ? [c.region] : [])))];
}

/**
 * Each region fails over to the next region in config order, the last to the first: every
 * region gets exactly one target, never itself, and only regions of the mesh are named. With
 * fewer than two regions there is nowhere to fail over to. Config order is the only order the
 * program knows; when it does not follow geography (us-east-1, westeurope, us-west-2), give
 * `failover` explicitly.
 */
export function deriveFailover(regions: readonly string[]): FailoverRule[] {
    const distinct = [...new Set(regions)];
    if (distinct.length < 2) return [];
    return distinct.map((from, i) => ({ from, to: distinct[(i + 1) % distinct.length] }));
}
