/**
 * Helm values that keep istiod and the east-west gateways available (mesh:availability): replica
 * bounds, the PodDisruptionBudget, topology spread over zones and nodes, resource requests. Pure
 * functions; the value names are the charts' own, and test/availability.test.ts renders both charts
 * with them to show the objects land.
 *
 * A remote's injection and validation webhooks, and its proxies' XDS, reach its primary's istiod
 * through the primary's east-west gateway (components/istio/values.ts remoteWebhookValues), so both
 * Deployments must survive one pod going away: two replicas or more, on different nodes, and a
 * budget that lets a node drain one pod at a time.
 */
import { SpreadMode, WorkloadAvailability } from "../../stacks/config";
import { EASTWEST_GATEWAY, EASTWEST_GATEWAY_SELECTOR } from "./names";

type Values = Record<string, unknown>;

/** istiod's pod labels without a revision (istiod chart, templates/deployment.yaml). */
export const ISTIOD_POD_LABELS = { app: "istiod", istio: "pilot" } as const;
/** The east-west gateway's pod labels (gateway chart, templates/_helpers.tpl gateway.selectorLabels, with our `labels`). */
export const EASTWEST_POD_LABELS = { app: EASTWEST_GATEWAY, ...EASTWEST_GATEWAY_SELECTOR } as const;

export const ZONE_KEY = "topology.kubernetes.io/zone";
export const NODE_KEY = "kubernetes.io/hostname";

/**
 * Spread constraints for a Deployment's pods. `matchLabelKeys: [pod-template-hash]` spreads each
 * ReplicaSet on its own, so a rollout's new pods are not skewed by the old ones (Kubernetes 1.27+);
 * `nodeTaintsPolicy: Honor` leaves out nodes the pods cannot run on (tainted system or GPU nodes),
 * which would otherwise count as empty domains and keep a hard constraint from ever being met.
 */
export function spreadConstraints(spread: { readonly zone: SpreadMode; readonly node: SpreadMode }, labels: Readonly<Record<string, string>>): Values[] {
    const keys: [SpreadMode, string][] = [
        [spread.zone, ZONE_KEY],
        [spread.node, NODE_KEY],
    ];
    return keys
        .filter(([mode]) => mode !== "Off")
        .map(([whenUnsatisfiable, topologyKey]) => ({
            maxSkew: 1,
            topologyKey,
            whenUnsatisfiable,
            labelSelector: { matchLabels: { ...labels } },
            matchLabelKeys: ["pod-template-hash"],
            nodeTaintsPolicy: "Honor",
        }));
}

/**
 * The budget's spec. `unhealthyPodEvictionPolicy: AlwaysAllow` lets a drain evict a pod that is
 * not Ready (a crash-looping one) even when the budget is spent, so a broken pod never pins a node.
 */
function budget(b: Exclude<WorkloadAvailability["disruptionBudget"], false>): Values {
    return { ...b, unhealthyPodEvictionPolicy: "AlwaysAllow" };
}

/**
 * istiod chart (manifests/charts/istio-control/istio-discovery): `autoscaleEnabled`,
 * `autoscaleMin`/`autoscaleMax` (templates/autoscale.yaml renders the HPA when all three are set),
 * `replicaCount` (templates/deployment.yaml, only without the autoscaler), `resources`,
 * `topologySpreadConstraints`, and `pdb` with `global.defaultPodDisruptionBudget.enabled`
 * (templates/poddisruptionbudget.yaml: rendered only above one replica, and `maxUnavailable` wins
 * over the chart's default `minAvailable: 1` once present). Primaries only: a remote runs no istiod.
 */
export function istiodAvailabilityValues(a: WorkloadAvailability): Values {
    const autoscale = a.maxReplicas > a.replicas;
    return {
        autoscaleEnabled: autoscale,
        autoscaleMin: a.replicas,
        autoscaleMax: a.maxReplicas,
        replicaCount: a.replicas,
        resources: a.resources,
        topologySpreadConstraints: spreadConstraints(a.spread, ISTIOD_POD_LABELS),
        ...(a.disruptionBudget ? { pdb: budget(a.disruptionBudget) } : {}),
        global: { defaultPodDisruptionBudget: { enabled: a.disruptionBudget !== false } },
    };
}

/**
 * gateway chart (manifests/charts/gateway): `autoscaling.{enabled,minReplicas,maxReplicas}`
 * (templates/hpa.yaml), `replicaCount` (templates/deployment.yaml, only without the autoscaler),
 * `resources`, `topologySpreadConstraints`, and `podDisruptionBudget`, copied into the budget's spec
 * (templates/poddisruptionbudget.yaml: rendered when set and above one replica).
 */
export function gatewayAvailabilityValues(a: WorkloadAvailability): Values {
    return {
        replicaCount: a.replicas,
        autoscaling: { enabled: a.maxReplicas > a.replicas, minReplicas: a.replicas, maxReplicas: a.maxReplicas },
        resources: a.resources,
        topologySpreadConstraints: spreadConstraints(a.spread, EASTWEST_POD_LABELS),
        podDisruptionBudget: a.disruptionBudget ? budget(a.disruptionBudget) : {},
    };
}
