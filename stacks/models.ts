/**
 * The control-plane models this program builds, and the config that would quietly build another.
 *
 * The models are chosen by `mesh:clusters[].role` and `primary` alone (stacks/topology.ts):
 * multi-primary (every cluster a primary), primary-remote (remotes served by a primary's istiod
 * through its east-west gateway) and their mixes, on one network or several. Istio's external
 * control plane model (a cluster's istiod running in another cluster, its configuration kept in
 * the cluster it serves) is not one of them (README: Deployment models). The Helm values that
 * select a model belong to the program: passed through `mesh:istio.values`, they would turn a
 * primary into a remote, or a remote into a config cluster, behind the topology's back (the user's
 * values are merged under the program's, which sets some of these keys only for some roles:
 * components/istio/values.ts).
 */
import { atLeast } from "./istio-version";

/** The first Istio release whose `istiod` chart has the `remote` profile (it replaced `istiod-remote`) and that this program supports. */
export const MIN_ISTIO_MINOR = 24;

/** Helm value paths, per chart, that choose the control-plane model or the mesh's identity, and what decides them instead. */
const MODEL_VALUES: Readonly<Record<"base" | "istiod" | "gateway", Readonly<Record<string, string>>>> = {
    base: {
        profile: "the role of each cluster (mesh:clusters[].role) selects the chart profile",
        defaultRevision: "the program installs one default revision per cluster",
        "global.istioNamespace": "Istio lives in istio-system, which other clusters and istioctl expect",
        "base.validationURL": "a remote's validation webhook follows its primary (mesh:clusters[].primary)",
    },
    istiod: {
        profile: "the role of each cluster (mesh:clusters[].role) selects the chart profile",
        revision: "revisions (canary upgrades) are not supported: a remote's istiod Service and remotePilotAddress carry none (istio/istio#34867)",
        "global.externalIstiod": "the program sets it on exactly the primaries that serve remotes",
        "global.configCluster": "the external control plane model is not supported (README: Deployment models); remotes take their configuration from their primary",
        "global.remotePilotAddress": "a remote's control plane is its primary's east-west gateway (mesh:clusters[].primary)",
        "global.multiCluster.clusterName": "it is the cluster's name (mesh:clusters[].name)",
        "global.network": "it is the cluster's network (mesh:clusters[].network)",
        "global.meshID": "it is mesh:meshId",
        "global.istioNamespace": "Istio lives in istio-system, which other clusters and istioctl expect",
        istiodRemote: "a remote's injection path and URLs follow its primary (mesh:clusters[].primary)",
        "pilot.env.EXTERNAL_ISTIOD": "the external control plane model is not supported (README: Deployment models)",
        "pilot.env.ISTIOD_CUSTOM_HOST": "the program sets it to the gateway address on primaries that serve remotes",
        "meshConfig.rootNamespace": "mesh-wide policy (mesh:policy) and the STRICT PeerAuthentication live in istio-system, which must stay Istio's root namespace",
        "meshConfig.trustDomain": "it is mesh:trustDomain",
    },
    gateway: {
        networkGateway: "the east-west gateway serves its cluster's network (mesh:clusters[].network)",
        name: "the east-west gateway is istio-eastwestgateway, which the Gateway objects select",
    },
};

/** Problems with `mesh:istio` that would build a model the program does not support. */
export function deploymentModelProblems(istio: { readonly version: string; readonly values: Readonly<Record<"base" | "istiod" | "gateway", Readonly<Record<string, unknown>>>> }): string[] {
    const problems: string[] = [];
    if (!atLeast(istio.version, `1.${MIN_ISTIO_MINOR}.0`)) {
        problems.push(
            `mesh:istio.version: ${istio.version} is older than 1.${MIN_ISTIO_MINOR}: remotes need the istiod chart's remote profile (1.${MIN_ISTIO_MINOR}+, which replaced the istiod-remote chart) ` +
                `and mesh-wide policy the v1 Istio APIs`,
        );
    }
    for (const chart of ["base", "istiod", "gateway"] as const) {
        for (const [path, why] of Object.entries(MODEL_VALUES[chart])) {
            if (valueAt(istio.values[chart], path) !== undefined) problems.push(`mesh:istio.values.${chart}.${path}: set by the program, not by values: ${why}`);
        }
    }
    return problems;
}

function valueAt(values: unknown, path: string): unknown {
    let v = values;
    for (const part of path.split(".")) {
        if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
        v = (v as Record<string, unknown>)[part];
    }
    return v;
}
