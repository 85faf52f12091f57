/**
 * The whole check: read every cluster it has credentials for (check-gather.ts), all at once, then
 * judge (check-model.ts). scripts/mesh-check prints the rows; the day-two e2e asserts on them.
 */
import * as k8s from "@kubernetes/client-node";
import { MeshPlan } from "../stacks/topology";
import { gatherCluster } from "./check-gather";
import { CheckOptions, ClusterFacts, Row, evaluate } from "./check-model";
import { MeshOutputs } from "./stack";

export interface RunOptions extends CheckOptions {
    /** Per request to a cluster. */
    readonly timeoutMs: number;
}

export async function checkMesh(plan: MeshPlan, outputs: MeshOutputs | undefined, credentials: ReadonlyMap<string, k8s.KubeConfig>, opts: RunOptions): Promise<Row[]> {
    const facts = new Map<string, ClusterFacts>();
    await Promise.all(
        plan.clusters
            .filter((p) => credentials.has(p.cluster.name))
            .map(async (p) => facts.set(p.cluster.name, await gatherCluster(p, credentials.get(p.cluster.name)!, { timeoutMs: opts.timeoutMs }))),
    );
    return evaluate(plan, outputs, facts, opts);
}
