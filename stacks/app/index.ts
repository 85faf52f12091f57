/**
 * An application team's program: reads the mesh stack through lib/'s MeshReference (a
 * StackReference checked against the output contract, lib/contract.ts) and deploys a small
 * service into the team's namespace in every cluster the team has, with the team's own scoped
 * credential: it can act in its namespaces and nowhere else. Runs from the repository's
 * node_modules.
 *
 *   mesh-app:meshStack   the mesh stack (default organization/mesh/local)
 *   mesh-app:team        the team (default team-a), one of the mesh's mesh:access.teams
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MeshReference } from "../../lib";

export = async () => {
    const config = new pulumi.Config();
    // Read before any resource: the team's clusters decide how many providers exist.
    const mesh = await MeshReference.get("mesh", { stack: config.get("meshStack") ?? "organization/mesh/local" });
    const team = mesh.team(config.get("team") ?? "team-a");
    const namespace = team.namespace;
    const labels = { app: "hello" };

    const services: Record<string, pulumi.Output<string>> = {};
    for (const cluster of team.clusterNames) {
        // The providers were named `<cluster>-k8s` before this program used the library.
        const o = { provider: team.provider(cluster, { aliases: [{ name: `${cluster}-k8s` }] }) };
        const deployment = new k8s.apps.v1.Deployment(
            `${cluster}-hello`,
            {
                metadata: { name: "hello", namespace },
                spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "hello", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["netexec"], ports: [{ containerPort: 8080 }] }] } } },
            },
            o,
        );
        const service = new k8s.core.v1.Service(`${cluster}-hello`, { metadata: { name: "hello", namespace }, spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: 8080 }] } }, { ...o, dependsOn: [deployment] });
        services[cluster] = service.metadata.name;
    }
    return { meshId: mesh.meshId, namespace, services };
};
