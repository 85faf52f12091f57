/**
 * An application team's program: reads the mesh stack's outputs (the contract in
 * components/outputs.ts) through a StackReference and creates its namespace, enrolled in
 * sidecar injection, in every cluster of the mesh. Runs from the repository's node_modules.
 *
 *   mesh-app:meshStack   the mesh stack (default organization/mesh/local)
 *   mesh-app:namespace   the namespace to create (default team-a)
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

interface MeshCluster {
    readonly kubeconfig: string;
    readonly network: string;
    readonly role: string;
}

export = async () => {
    const config = new pulumi.Config();
    const mesh = new pulumi.StackReference("mesh", { name: config.get("meshStack") ?? "organization/mesh/local" });
    const namespace = config.get("namespace") ?? "team-a";
    // The cluster names decide how many providers exist, so they are read before any resource.
    const details = await mesh.getOutputDetails("clusters");
    const names = Object.keys((details.value ?? details.secretValue ?? {}) as Record<string, unknown>);
    if (names.length === 0) throw new pulumi.RunError(`the mesh stack has no "clusters" output`);
    const clusters = mesh.requireOutput("clusters") as pulumi.Output<Record<string, MeshCluster>>;

    const namespaces: Record<string, pulumi.Output<string>> = {};
    for (const name of names) {
        const cluster = clusters.apply((c) => c[name]);
        const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: pulumi.secret(cluster.kubeconfig) });
        const ns = new k8s.core.v1.Namespace(
            `${name}-${namespace}`,
            { metadata: { name: namespace, labels: { "istio-injection": "enabled", "topology.istio.io/network": cluster.network } } },
            { provider },
        );
        namespaces[name] = ns.metadata.name;
    }
    return { meshId: mesh.requireOutput("meshId"), namespaces };
};
