#!/usr/bin/env node
// The local cloud: what EKS/AKS give the local kwok clusters besides their API servers, so the
// local mesh fails where a cloud mesh fails (test/e2e/README.md). Started and stopped by
// scripts/local-clusters.sh; one process for all clusters.
//
//   node scripts/local-cloud/main.mjs <config.json>
//   config: { hostsFile, stateDir, pilotDiscovery, webhooks: bool,
//             clusters: [{ name, index, kubeconfig, lb: "ip" | "hostname" }] }
import * as fs from "node:fs";
import { Forwarder } from "./forwarder.mjs";
import { HostIstiods } from "./istiod.mjs";
import { HostsFile, LoadBalancers } from "./lb.mjs";

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const log = (m) => console.log(`${new Date().toISOString()} ${m}`);
const hosts = new HostsFile(config.hostsFile);
const addresses = new Map();

const clusters = new Map(
    config.clusters.map((c) => [
        c.index,
        {
            lbs: new LoadBalancers(c, hosts, addresses, log).start(),
            istiod: config.webhooks ? new HostIstiods(c, config.stateDir, config.pilotDiscovery, log).start() : undefined,
        },
    ]),
);
const forwarder = config.webhooks ? new Forwarder(clusters, log).listen() : undefined;
log(`local cloud for ${config.clusters.map((c) => `${c.name} (${c.lb} load balancers)`).join(", ")}; webhooks ${config.webhooks ? "on: istiod runs on this host for each primary" : "off"}`);

function shutdown() {
    forwarder?.close();
    for (const c of clusters.values()) c.istiod?.shutdown();
    setTimeout(() => process.exit(0), 500);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
