/**
 * An application team's program: reads the mesh stack's outputs (the contract in
 * components/outputs.ts) through a StackReference and deploys a small service into the team's
 * namespace in every cluster the team has, with the team's own scoped credential: it can act in
 * its namespaces and nowhere else. Runs from the repository's node_modules.
 *
 *   mesh-app:meshStack   the mesh stack (default organization/mesh/local)
 *   mesh-app:team        the team (default team-a), one of the mesh's mesh:access.teams
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

interface TeamOutput {
    readonly namespaces: string[];
    readonly clusters: Record<string, { readonly kubeconfig: string }>;
}

export = async () => {
    const config = new pulumi.Config();
    const mesh = new pulumi.StackReference("mesh", { name: config.get("meshStack") ?? "organization/mesh/local" });
    const teamName = config.get("team") ?? "team-a";
    // The team's clusters decide how many providers exist, so they are read before any resource.
    const details = await mesh.getOutputDetails("teams");
    const team = ((details.value ?? details.secretValue ?? {}) as Record<string, TeamOutput>)[teamName];
    if (!team) throw new pulumi.RunError(`the mesh stack has no team "${teamName}" in its "teams" output (mesh:access.teams)`);
    const credentials = mesh.requireOutput("teams") as pulumi.Output<Record<string, TeamOutput>>;
    const namespace = team.namespaces[0];
    const labels = { app: "hello" };

    const services: Record<string, pulumi.Output<string>> = {};
    for (const cluster of Object.keys(team.clusters)) {
        const kubeconfig = pulumi.secret(credentials.apply((t) => t[teamName].clusters[cluster].kubeconfig));
        const o = { provider: new k8s.Provider(`${cluster}-k8s`, { kubeconfig, namespace }) };
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
    return { meshId: mesh.requireOutput("meshId"), namespace, services };
};
