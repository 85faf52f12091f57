import * as k8s from "@pulumi/kubernetes";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { IstioConfig } from "../../stacks/config";

export type IstioChart = "base" | "istiod" | "gateway";

/** Where a chart comes from: a Helm repository at the pinned version, or a local chart directory. */
export function chartSource(istio: IstioConfig, chart: IstioChart): Pick<k8s.helm.v3.ReleaseArgs, "chart" | "version" | "repositoryOpts"> {
    if (istio.chartDirectory) return { chart: path.join(istio.chartDirectory, chart) };
    return { chart, version: istio.version, repositoryOpts: { repo: istio.chartRepository } };
}

export interface IstioReleaseArgs {
    readonly istio: IstioConfig;
    readonly chart: IstioChart;
    /** The Helm release name in the cluster. */
    readonly releaseName: string;
    /** The istio-system namespace resource's name, so the release waits for it. */
    readonly namespace: pulumi.Input<string>;
    readonly values: pulumi.Input<Record<string, unknown>>;
}

/**
 * A real Helm release (`helm.sh/v3:Release`): Helm owns upgrades and rollbacks, waits for
 * readiness, and tolerates a cluster that does not exist yet at preview time.
 */
export function istioRelease(name: string, a: IstioReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    return new k8s.helm.v3.Release(
        name,
        {
            name: a.releaseName,
            namespace: a.namespace,
            ...chartSource(a.istio, a.chart),
            values: a.values,
            timeout: a.istio.timeoutSeconds,
            // A failed install or upgrade rolls back instead of leaving a half-applied release.
            atomic: true,
            maxHistory: 10,
        },
        opts,
    );
}
