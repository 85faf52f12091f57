import { IstioConfig } from "../../stacks/config";
import { ObservabilityConfig } from "../../stacks/observability";
import { merge } from "../istio/values";
import { istiodObservabilityValues } from "./values";

/**
 * Istio's settings with the observability ones (access logs, the tracing provider) under the
 * stack's own `mesh:istio.values.istiod`, which keeps the last word: every istiod, primary or
 * remote, gets the same mesh config.
 */
export function withObservability(istio: IstioConfig, o: ObservabilityConfig): IstioConfig {
    return { ...istio, values: { ...istio.values, istiod: merge(istiodObservabilityValues(o), istio.values.istiod) } };
}
