import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartConfig } from "../../stacks/observability";

/** Where an observability chart comes from: its repository at the pinned version, or a local chart directory. */
export function observabilityChartSource(chart: ChartConfig): Pick<k8s.helm.v3.ReleaseArgs, "chart" | "version" | "repositoryOpts"> {
    if (chart.directory) return { chart: chart.directory };
    return { chart: chart.chart, version: chart.version, repositoryOpts: { repo: chart.repository } };
}

export interface ObservabilityReleaseArgs {
    readonly chart: ChartConfig;
    readonly releaseName: string;
    readonly namespace: pulumi.Input<string>;
    readonly values: pulumi.Input<Record<string, unknown>>;
    readonly timeoutSeconds: number;
}

/** An upstream chart through the same Helm path as Istio's (components/istio/release.ts): a real release, atomic. */
export function observabilityRelease(name: string, a: ObservabilityReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    return new k8s.helm.v3.Release(
        name,
        { name: a.releaseName, namespace: a.namespace, ...observabilityChartSource(a.chart), values: a.values, timeout: a.timeoutSeconds, atomic: true, maxHistory: 10 },
        opts,
    );
}
