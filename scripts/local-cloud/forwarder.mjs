// The network between API servers, load balancers and istiod, locally. The API servers run
// with --enable-aggregator-routing, so a webhook Service resolves to endpoint IP:targetPort as on
// EKS/GKE; kwok pods of cluster cI get addresses in 198.19.I.0/24, load balancers 198.18.I.x, and
// both ranges are local to this host. A connection to port 15012 or 15017 is then delivered to
// the istiod of the cluster that owns the address only where the real path exists:
//  - an istiod pod's IP (its Ready pod; the Service `istiod` of a primary resolves to it), to the
//    revision that pod belongs to;
//  - a load balancer whose Service has that port and selects a Ready gateway pod, with an Istio
//    Gateway and VirtualService routing the port to istiod (samples/multicluster/expose-istiod.yaml),
//    to the revision whose Service (`istiod` or `istiod-<rev>`) the route matching the TLS
//    ClientHello's SNI names, as the gateway's Envoy chooses a filter chain (exact SNI before `*`).
// Anything else is refused, as an unreachable address would be. A connection through a load
// balancer stays with the istiod it was routed to, as the gateway's TCP proxy keeps it, until its
// route changes: then, as Envoy drains a changed filter chain, it is closed after the drain time.
import * as net from "node:net";
import { istioObjects, isReady, selects } from "./kube.mjs";

export const ISTIOD_PORTS = [15012, 15017];
const ADDRESS = /^198\.(18|19)\.(\d+)\.(\d+)$/;
const ISTIOD_HOST = /^(istiod(?:-[a-z0-9-]+)?)\.istio-system(?:\.svc(?:\.cluster\.local)?)?$/;
/**
 * The gateway's drain time: Istio's default drainDuration (pkg/config/mesh/mesh.go), which
 * pilot-agent gives Envoy as --drain-time-s with --drain-strategy immediate (pkg/envoy/proxy.go).
 * A TCP proxy cannot signal a drain, so its connections on a changed filter chain last that long.
 */
const DRAIN_MS = 45_000;

/** The first bytes a client sends (its TLS ClientHello), or nothing if it sends none soon. */
function firstChunk(socket) {
    return new Promise((resolve) => {
        const done = (chunk) => {
            clearTimeout(timer);
            socket.off("data", done);
            socket.pause();
            resolve(chunk ?? Buffer.alloc(0));
        };
        const timer = setTimeout(() => done(undefined), 5000);
        socket.on("data", done);
    });
}

/** The server_name of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3), if the chunk holds one. */
export function serverName(b) {
    try {
        if (b[0] !== 22 || b[5] !== 1) return undefined; // handshake record, ClientHello
        let i = 5 + 4 + 2 + 32; // handshake header, legacy_version, random
        i += 1 + b[i]; // session id
        i += 2 + b.readUInt16BE(i); // cipher suites
        i += 1 + b[i]; // compression methods
        const end = i + 2 + b.readUInt16BE(i);
        for (i += 2; i + 4 <= end; ) {
            const type = b.readUInt16BE(i);
            const len = b.readUInt16BE(i + 2);
            if (type === 0) {
                const nameLen = b.readUInt16BE(i + 7);
                return b.subarray(i + 9, i + 9 + nameLen).toString("ascii");
            }
            i += 4 + len;
        }
    } catch {
        return undefined;
    }
    return undefined;
}

export class Forwarder {
    constructor(clusters, log) {
        this.clusters = clusters; // index → { lbs: LoadBalancers, istiod?: HostIstiod }
        this.log = log;
        this.cache = new Map();
        /** Connections through a load balancer: where they were routed, and when they are closed. */
        this.connections = new Set();
    }

    listen() {
        this.servers = ISTIOD_PORTS.map((port) =>
            net
                .createServer((socket) => this.route(socket, port).catch((e) => (this.log(`${port}: ${e.message}`), socket.destroy())))
                .on("error", (e) => this.log(`cannot listen on ${port}: ${e.message}`))
                .listen(port, "0.0.0.0"),
        );
        this.timer = setInterval(() => this.drain().catch((e) => this.log(`drain: ${e.message}`)), 2000);
        return this;
    }

    /** Closes the load balancer connections whose route has moved, once the drain time is over. */
    async drain() {
        if (this.draining) return;
        this.draining = true;
        try {
            for (const conn of this.connections) {
                if (conn.closeAt === undefined) {
                    const now = await this.loadBalancerPath(conn.cluster, conn.local, conn.port, conn.sni);
                    if (now.istiod === conn.istiod) continue;
                    conn.closeAt = Date.now() + DRAIN_MS;
                    this.log(`${conn.local}:${conn.port}${conn.sni ? ` (SNI ${conn.sni})` : ""}: route moved from ${conn.istiod.name} to ${now.istiod?.name ?? "nowhere"}; closing its connection in ${DRAIN_MS / 1000} s`);
                } else if (Date.now() >= conn.closeAt) {
                    conn.close();
                }
            }
        } finally {
            this.draining = false;
        }
    }

    async route(socket, port) {
        const local = socket.localAddress.replace(/^::ffff:/, "");
        const m = ADDRESS.exec(local);
        const cluster = m && this.clusters.get(Number(m[2]));
        const hello = await firstChunk(socket);
        const sni = serverName(hello);
        const viaLoadBalancer = cluster && m[1] === "18";
        const path = !cluster ? { why: "no cluster owns it" } : viaLoadBalancer ? await this.loadBalancerPath(cluster, local, port, sni) : this.podPath(cluster, local);
        const istiod = path.istiod;
        if (path.why || !istiod?.ready) {
            this.log(`refused ${local}:${port}${sni ? ` (SNI ${sni})` : ""}: ${path.why ?? `${istiod?.name ?? "istiod"} is not serving`}`);
            return socket.destroy();
        }
        const upstream = net.connect(port === 15017 ? istiod.ports.https : istiod.ports.secureGrpc, "127.0.0.1");
        upstream.on("error", () => socket.destroy());
        socket.on("error", () => upstream.destroy());
        if (hello.length > 0) upstream.write(hello);
        socket.pipe(upstream).pipe(socket);
        socket.resume();
        if (viaLoadBalancer) {
            const conn = { cluster, local, port, sni, istiod, closeAt: undefined, close: () => (socket.destroy(), upstream.destroy()) };
            this.connections.add(conn);
            socket.on("close", () => this.connections.delete(conn));
        }
    }

    /** A pod IP: delivered to its istiod if it is a Ready istiod pod of that cluster. */
    podPath(cluster, ip) {
        const pod = [...(cluster.istiod?.pods.values() ?? [])].find((p) => p.status?.podIP === ip);
        return pod && isReady(pod) ? { istiod: cluster.istiod.ofPod(pod) } : { why: "not a Ready istiod pod" };
    }

    /** A load balancer: the east-west gateway must really carry the port to an istiod's Service. */
    async loadBalancerPath(cluster, ip, port, sni) {
        const key = `${ip}:${port}:${sni ?? ""}`;
        const hit = this.cache.get(key);
        if (hit && hit.at > Date.now() - 2000) return hit.path;
        const found = await this.checkLoadBalancer(cluster, ip, port, sni);
        const path = typeof found === "string" ? { why: found } : found;
        if (!path.why && !path.istiod) path.why = `no istiod runs for Service ${path.service}`;
        this.cache.set(key, { at: Date.now(), path });
        return path;
    }

    async checkLoadBalancer(cluster, ip, port, sni) {
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
        const routes = (await istioObjects(c, "virtualservices"))
            .filter((vs) => (vs.spec?.gateways ?? []).some((g) => g === gateway.metadata.name || g === gwName))
            .flatMap((vs) => vs.spec?.tls ?? [])
            .flatMap((t) => (t.match ?? []).filter((mt) => mt.port === port).map((mt) => ({ sniHosts: mt.sniHosts ?? ["*"], host: t.route?.[0]?.destination?.host ?? "" })));
        // Envoy picks the filter chain of the exact server name before the wildcard.
        const route = routes.find((r) => sni && r.sniHosts.includes(sni)) ?? routes.find((r) => r.sniHosts.includes("*"));
        const service = ISTIOD_HOST.exec(route?.host ?? "")?.[1];
        if (!service) return `no VirtualService routes ${port} of ${gwName}${sni ? ` for SNI ${sni}` : ""} to istiod`;
        return { istiod: cluster.istiod?.ofService(service), service };
    }

    close() {
        clearInterval(this.timer);
        for (const c of this.connections) c.close();
        for (const s of this.servers ?? []) s.close();
    }
}
