import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../../stacks/config";
import { AksCluster } from "./aks";
import { EksCluster } from "./eks";
import { ExistingCluster } from "./existing";
import { ClusterHandle } from "./handle";

export type { ClusterHandle } from "./handle";

/** Provisions (or, for `existing`, connects to) one cluster on its cloud. */
export function provisionCluster(name: string, cluster: ClusterConfig, opts: pulumi.ComponentResourceOptions): ClusterHandle {
    switch (cluster.provider) {
        case "aws":
            return new EksCluster(name, { cluster }, opts);
        case "azure":
            return new AksCluster(name, { cluster }, opts);
        case "existing":
            return new ExistingCluster(name, { cluster }, opts);
    }
}
