/** Names Istio's charts and istioctl fix; other clusters and tools look for exactly these. */
export const ISTIO_NAMESPACE = "istio-system";
export const CACERTS = "cacerts";
export const EASTWEST_GATEWAY = "istio-eastwestgateway";
export const EASTWEST_GATEWAY_SELECTOR = { istio: "eastwestgateway" };
export const READER_SERVICE_ACCOUNT = "istio-reader-service-account";
/**
 * The reader's token Secret: istioctl's name (istioctl/pkg/multicluster/remote_secret.go) for the
 * first generation, that name and the generation for each rotation after it.
 */
export function readerTokenSecret(generation: number): string {
    const name = `${READER_SERVICE_ACCOUNT}-istio-remote-secret-token`;
    return generation > 1 ? `${name}-${generation}` : name;
}
export const NETWORK_LABEL = "topology.istio.io/network";
export const CONTROL_PLANE_CLUSTERS_ANNOTATION = "topology.istio.io/controlPlaneClusters";
export const RELEASES = { base: "istio-base", istiod: "istiod", eastWest: EASTWEST_GATEWAY } as const;
/** istiod's webhook port, as the east-west gateway exposes it (samples/multicluster/expose-istiod.yaml). */
export const WEBHOOK_PORT = 15017;
/** The ports the gateway chart gives a network gateway's Service (manifests/charts/gateway/templates/service.yaml). */
export const EASTWEST_PORTS = [
    { name: "status-port", port: 15021 },
    { name: "tls", port: 15443 },
    { name: "tls-istiod", port: 15012 },
    { name: "tls-webhook", port: WEBHOOK_PORT },
] as const;
