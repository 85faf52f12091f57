// The network between API servers, load balancers and istiod, locally. The API servers run
// with --enable-aggregator-routing, so a webhook Service resolves to endpoint IP:targetPort as on
// EKS/GKE; kwok pods of cluster cI get addresses in 198.19.I.0/24, load balancers 198.18.I.x, and
// both ranges are local to this host. A connection to port 15012 or 15017 is then delivered to
// the istiod of the cluster that owns the address only where the real path exists:
//  - an istiod pod's IP (its Ready pod; the Service `istiod` of a primary resolves to it);
//  - a load balancer whose Service has that port and selects a Ready gateway pod, with an Istio
//    Gateway and VirtualService routing the port to istiod (samples/multicluster/expose-istiod.yaml).
// Anything else is refused, as an unreachable address would be.
import * as net from "node:net";
import { istioObjects, isReady, selects } from "./kube.mjs";

export const ISTIOD_PORTS = [15012, 15017];
const ADDRESS = /^198\.(18|19)\.(\d+)\.(\d+)$/;

export class Forwarder {
    constructor(clusters, log) {
        this.clusters = clusters; // index → { lbs: LoadBalancers, istiod?: HostIstiod }
        this.log = log;
        this.cache = new Map();
    }

    listen() {
        this.servers = ISTIOD_PORTS.map((port) =>
            net
                .createServer((socket) => this.route(socket, port).catch((e) => (this.log(`${port}: ${e.message}`), socket.destroy())))
                .on("error", (e) => this.log(`cannot listen on ${port}: ${e.message}`))
                .listen(port, "0.0.0.0"),
        );
        return this;
    }

    async route(socket, port) {
        socket.pause();
        const local = socket.localAddress.replace(/^::ffff:/, "");
        const m = ADDRESS.exec(local);
        const cluster = m && this.clusters.get(Number(m[2]));
        const why = !cluster ? "no cluster owns it" : m[1] === "19" ? this.podPath(cluster, local) : await this.loadBalancerPath(cluster, local, port);
        const istiod = cluster?.istiod;
        if (why || !istiod?.ready) {
            this.log(`refused ${local}:${port}: ${why ?? "istiod is not serving"}`);
            return socket.destroy();
        }
        const upstream = net.connect(port === 15017 ? istiod.ports.https : istiod.ports.secureGrpc, "127.0.0.1");
        upstream.on("error", () => socket.destroy());
        socket.on("error", () => upstream.destroy());
        socket.pipe(upstream).pipe(socket);
        socket.resume();
    }

    /** A pod IP: delivered if it is a Ready istiod pod of that cluster. */
    podPath(cluster, ip) {
        const pod = [...(cluster.istiod?.pods.values() ?? [])].find((p) => p.status?.podIP === ip);
        return pod && isReady(pod) ? undefined : "not a Ready istiod pod";
    }

    /** A load balancer: the east-west gateway must really carry the port to istiod. */
    async loadBalancerPath(cluster, ip, port) {
        const key = `${ip}:${port}`;
        const hit = this.cache.get(key);
        if (hit && hit.at > Date.now() - 2000) return hit.why;
        const why = await this.checkLoadBalancer(cluster, ip, port);
        this.cache.set(key, { at: Date.now(), why });
        return why;
    }

    async checkLoadBalancer(cluster, ip, port) {
        const ref = cluster.lbs.serviceAt(ip);
        if (!ref) return "no load balancer has this address";
        const [namespace, name] = ref.split("/");
        const c = cluster.lbs.c;
        const svc = await c.core.readNamespacedService({ namespace, name });
        if (!(svc.spec.ports ?? []).some((p) => p.port === port)) return `Service ${ref} has no port ${port}`;
        const pods = (await c.core.listNamespacedPod({ namespace })).items.filter((p) => selects(svc.spec.selector, p.metadata.labels) && isReady(p));
        if (pods.length === 0) return `Service ${ref} selects no Ready pod`;
        const gateways = (await istioObjects(c, "gateways")).filter((g) => pods.some((p) => selects(g.spec?.selector, p.metadata.labels)));
        const gateway = gateways.find((g) => (g.spec?.servers ?? []).some((s) => s.port?.number === port));
        if (!gateway) return `no Gateway on the pods of ${ref} listens on ${port}`;
        const gwName = `${gateway.metadata.namespace}/${gateway.metadata.name}`;
        const routes = (await istioObjects(c, "virtualservices")).filter((vs) =>
            (vs.spec?.gateways ?? []).some((g) => g === gateway.metadata.name || g === gwName) &&
            (vs.spec?.tls ?? []).some((t) => (t.match ?? []).some((mt) => mt.port === port) && (t.route ?? []).some((r) => /^istiod\.istio-system(\.svc(\.cluster\.local)?)?$/.test(r.destination?.host ?? ""))),
        );
        return routes.length > 0 ? undefined : `no VirtualService routes ${port} of ${gwName} to istiod`;
    }

    close() {
        for (const s of this.servers ?? []) s.close();
    }
}
