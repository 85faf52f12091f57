/**
 * Istio objects as plain data: the multi-cluster samples (samples/multicluster/*.yaml) and the
 * remote secret `istioctl create-remote-secret` writes (istioctl/pkg/multicluster/remote_secret.go).
 */
import { tokenKubeconfig } from "../clusters/kubeconfig";
import { EASTWEST_GATEWAY, EASTWEST_GATEWAY_SELECTOR, EASTWEST_PORTS, ISTIO_NAMESPACE, NETWORK_LABEL } from "./names";

export const MULTICLUSTER_SECRET_LABEL = "istio/multiCluster";
export const CLUSTER_ANNOTATION = "networking.istio.io/cluster";

type Spec = Record<string, unknown>;

/**
 * The east-west gateway's LoadBalancer Service, exactly as the gateway chart renders it for a
 * network gateway (manifests/charts/gateway/templates/service.yaml: labels, the four fixed ports,
 * selector app/istio), but created by us ahead of the chart's pods: its address is known before
 * istiod is installed.
 */
export function eastWestService(network: string, annotations: Readonly<Record<string, string>>) {
    const selector = { app: EASTWEST_GATEWAY, ...EASTWEST_GATEWAY_SELECTOR };
    return {
        metadata: {
            name: EASTWEST_GATEWAY,
            labels: { "app.kubernetes.io/name": EASTWEST_GATEWAY, ...selector, [NETWORK_LABEL]: network },
            annotations: { ...annotations },
        },
        spec: {
            type: "LoadBalancer",
            ports: EASTWEST_PORTS.map(({ name, port }) => ({ name, port, targetPort: port, protocol: "TCP" })),
            selector,
        },
    };
}

export function peerAuthenticationSpec(): Spec {
    return { mtls: { mode: "STRICT" } };
}

/** samples/multicluster/expose-services.yaml */
export function crossNetworkGatewaySpec(): Spec {
    return {
        selector: EASTWEST_GATEWAY_SELECTOR,
        servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
    };
}

/** samples/multicluster/expose-istiod.yaml: the Gateway. */
export function istiodGatewaySpec(): Spec {
    return {
        selector: EASTWEST_GATEWAY_SELECTOR,
        servers: [
            { port: { name: "tls-istiod", number: 15012, protocol: "tls" }, tls: { mode: "PASSTHROUGH" }, hosts: ["*"] },
            { port: { name: "tls-istiodwebhook", number: 15017, protocol: "tls" }, tls: { mode: "PASSTHROUGH" }, hosts: ["*"] },
        ],
    };
}

/**
 * samples/multicluster/expose-istiod.yaml: the VirtualService (webhook 15017 → istiod's 443), to
 * Service `istiod`, or with revisions to the Service of the revision the primary's `default` tag
 * points at: remotes whose webhooks call a URL on the gateway (hostname load balancers) send no
 * revision in SNI, so they reach that one.
 */
export function istiodVirtualServiceSpec(service = "istiod"): Spec {
    return istiodRoutes(service, ["*"]);
}

/**
 * samples/multicluster/expose-istiod-rev.yaml.tmpl, but matching the revision's own SNI: a remote
 * reaches `istiod-<rev>` through its Service of that name (istio/istio#34867), whose TLS carries
 * that host, so one gateway port serves every revision.
 */
export function istiodRevisionVirtualServiceSpec(revision: string): Spec {
    const service = `istiod-${revision}`;
    return istiodRoutes(service, [`${service}.${ISTIO_NAMESPACE}.svc`]);
}

function istiodRoutes(service: string, sniHosts: string[]): Spec {
    const istiod = `${service}.${ISTIO_NAMESPACE}.svc.cluster.local`;
    const route = (port: number, target: number) => ({ match: [{ port, sniHosts }], route: [{ destination: { host: istiod, port: { number: target } } }] });
    return { hosts: ["*"], gateways: ["istiod-gateway"], tls: [route(15012, 15012), route(15017, 443)] };
}

export interface RemoteKubeconfigArgs {
    /** The watched cluster's clusterName: also the kubeconfig's cluster, user and context name. */
    readonly cluster: string;
    readonly server: string;
    /** Base64 PEM, as in the token Secret's `ca.crt` data. */
    readonly caData: string;
    /** The bearer token, decoded. */
    readonly token: string;
}

/**
 * The kubeconfig inside a remote secret: one cluster, one bearer-token user, one context.
 * istiod rejects exec, auth-provider, token files and certificate files here (pkg/kube/util.go).
 */
export function remoteKubeconfig(a: RemoteKubeconfigArgs): string {
    return tokenKubeconfig({ name: a.cluster, server: a.server, caData: a.caData, token: a.token });
}

export function remoteSecretName(cluster: string): string {
    return `istio-remote-secret-${cluster}`;
}
