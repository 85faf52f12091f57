// The cloud's load-balancer controller, locally: every LoadBalancer Service of cluster cI gets an
// address 198.18.I.x (local on this host: `ip route add local 198.18.0.0/15 dev lo`). On a
// cluster in hostname mode it reports only a DNS name, as an AWS NLB does, which resolves to that
// address through a managed block of /etc/hosts.
import * as fs from "node:fs";
import { createHash } from "node:crypto";
import { clients, informer, patchServiceStatus } from "./kube.mjs";

const BEGIN = "# BEGIN mesh local cloud (scripts/local-cloud)";
const END = "# END mesh local cloud";

/** The managed block of the hosts file: hostname → address. */
export class HostsFile {
    constructor(path) {
        this.path = path;
        this.entries = new Map();
        const text = fs.existsSync(path) ? fs.readFileSync(path, "utf8") : "";
        const block = text.includes(BEGIN) ? text.slice(text.indexOf(BEGIN), text.indexOf(END)) : "";
        for (const line of block.split("\n").slice(1)) {
            const [ip, host] = line.split(/\s+/);
            if (ip && host) this.entries.set(host, ip);
        }
    }
    lookup(host) {
        return this.entries.get(host);
    }
    set(host, ip) {
        this.entries.set(host, ip);
        this.write();
    }
    delete(host) {
        if (this.entries.delete(host)) this.write();
    }
    /** Rewritten in place: /etc/hosts may be a bind mount that cannot be renamed over. */
    write() {
        const text = fs.existsSync(this.path) ? fs.readFileSync(this.path, "utf8") : "";
        const outside = text.includes(BEGIN) ? text.slice(0, text.indexOf(BEGIN)) + text.slice(text.indexOf(END) + END.length).replace(/^\n/, "") : text;
        const lines = [...this.entries].map(([host, ip]) => `${ip} ${host}`);
        const block = lines.length ? `${BEGIN}\n${lines.join("\n")}\n${END}\n` : "";
        fs.writeFileSync(this.path, (outside.endsWith("\n") || outside === "" ? outside : outside + "\n") + block);
    }
    static clear(path) {
        const h = new HostsFile(path);
        h.entries.clear();
        h.write();
    }
}

const hex = (s) => createHash("sha256").update(s).digest("hex");

/** Load balancers of one cluster. `addresses` (shared) maps an address to its Service. */
export class LoadBalancers {
    constructor(cluster, hosts, addresses, log) {
        this.cluster = cluster; // { name, index, kubeconfig, lb: "ip" | "hostname" }
        this.hosts = hosts;
        this.addresses = addresses;
        this.log = log;
        this.c = clients(cluster.kubeconfig);
        this.services = new Map(); // "ns/name" → { ip, hostname }
    }

    start() {
        const list = () => this.c.core.listServiceForAllNamespaces();
        informer(this.c, "/api/v1/services", list, { add: (s) => this.reconcile(s), update: (s) => this.reconcile(s), delete: (s) => this.release(s) }, this.log);
        return this;
    }

    /** The Service (namespace/name) an address of this cluster belongs to. */
    serviceAt(ip) {
        const owner = this.addresses.get(ip);
        return owner?.cluster === this.cluster.name ? owner.service : undefined;
    }

    async reconcile(svc) {
        const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
        if (svc.spec?.type !== "LoadBalancer") return this.release(svc);
        const ingress = svc.status?.loadBalancer?.ingress?.[0];
        if (ingress) {
            // Already served (also after a restart of this controller): remember the address.
            const ip = ingress.ip ?? this.hosts.lookup(ingress.hostname);
            if (ip) this.remember(key, ip, ingress.hostname);
            return;
        }
        const ip = this.allocate(key, svc.metadata.uid);
        const hostname = this.cluster.lb === "hostname" ? `${svc.metadata.name}-${hex(svc.metadata.uid).slice(0, 10)}.elb.${this.cluster.name}.mesh.test` : undefined;
        this.remember(key, ip, hostname);
        if (hostname) this.hosts.set(hostname, ip);
        await patchServiceStatus(this.c, svc.metadata.namespace, svc.metadata.name, { loadBalancer: { ingress: [hostname ? { hostname } : { ip, ipMode: "VIP" }] } });
        this.log(`${this.cluster.name}: load balancer for ${key}: ${hostname ? `${hostname} (${ip})` : ip}`);
    }

    remember(key, ip, hostname) {
        this.services.set(key, { ip, hostname });
        this.addresses.set(ip, { cluster: this.cluster.name, service: key });
    }

    release(svc) {
        const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
        const lb = this.services.get(key);
        if (!lb) return;
        this.services.delete(key);
        this.addresses.delete(lb.ip);
        if (lb.hostname) this.hosts.delete(lb.hostname);
    }

    /** 198.18.I.10–249, stable for a Service while it exists. */
    allocate(key, uid) {
        const start = parseInt(hex(`${key}/${uid}`).slice(0, 8), 16) % 240;
        for (let i = 0; i < 240; i++) {
            const ip = `198.18.${this.cluster.index}.${10 + ((start + i) % 240)}`;
            if (!this.addresses.has(ip)) return ip;
        }
        throw new Error(`${this.cluster.name}: no load-balancer address left`);
    }
}
