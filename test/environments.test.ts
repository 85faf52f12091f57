/**
 * The environments' stack files (Pulumi.<env>.yaml): each is valid by the program's own config checks,
 * each is a mesh of its own, and they differ where environments differ.
 */
import * as fs from "fs";
import * as path from "path";
import { MeshConfig, parseMeshConfig } from "../stacks/config";
import { ENVIRONMENTS, ROOT, stackFile } from "./support/environments";

const configs = Object.fromEntries(ENVIRONMENTS.map((env) => [env, parseMeshConfig(stackFile(env).raw)])) as Record<(typeof ENVIRONMENTS)[number], MeshConfig>;
const accounts = (c: MeshConfig) => new Set(c.clusters.flatMap((x) => x.aws?.adminPrincipalArns.map((arn) => arn.split(":")[4]) ?? []));
const subscriptions = (c: MeshConfig) => new Set(c.clusters.flatMap((x) => (x.azure?.subscriptionId ? [x.azure.subscriptionId] : [])));

describe("environments", () => {
    test("the stack files are exactly the environments plus the local stack", () => {
        const files = fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
        expect(files.sort()).toEqual([...ENVIRONMENTS, "local"].map((e) => `Pulumi.${e}.yaml`).sort());
    });

    test("each environment is its own mesh: own meshId, own root (each stack creates one), own AWS account and Azure subscription", () => {
        const ids = ENVIRONMENTS.map((e) => configs[e].meshId);
        expect(new Set(ids).size).toBe(ids.length);
        for (const [i, a] of ENVIRONMENTS.entries()) {
            expect(accounts(configs[a]).size).toBe(1);
            expect(subscriptions(configs[a]).size).toBe(1);
            for (const b of ENVIRONMENTS.slice(i + 1)) {
                expect([...accounts(configs[a])].filter((x) => accounts(configs[b]).has(x))).toEqual([]);
                expect([...subscriptions(configs[a])].filter((x) => subscriptions(configs[b]).has(x))).toEqual([]);
            }
        }
    });

    test("they share the production topology (two primaries on two clouds, an EKS remote served by the EKS primary) and one Istio release", () => {
        for (const env of ENVIRONMENTS) {
            const c = configs[env];
            expect(c.clusters.map((x) => [x.provider, x.role, x.primary === undefined ? undefined : c.clusters.findIndex((p) => p.name === x.primary)])).toEqual([
                ["aws", "primary", undefined],
                ["azure", "primary", undefined],
                ["aws", "remote", 0],
            ]);
            expect(new Set(c.clusters.map((x) => x.network)).size).toBe(3);
            expect(c.istio).toMatchObject({ version: configs.prod.istio.version, chartRepository: configs.prod.istio.chartRepository });
        }
    });

    test("and differ where environments differ: root protection, sizes, istiod and gateway replicas, allowlists, regions", () => {
        const { dev, staging, prod } = configs;
        expect([dev, staging, prod].map((c) => c.pki.protectRoot)).toEqual([false, true, true]);
        const nodes = (c: MeshConfig) => c.clusters.reduce((n, x) => n + (x.aws?.desiredSize ?? x.azure?.nodeCount ?? 0), 0);
        expect(nodes(dev)).toBeLessThan(nodes(staging));
        expect(nodes(staging)).toBeLessThan(nodes(prod));
        // Control-plane HA (mesh:availability): one istiod in dev, two in staging, three in prod, each
        // with room to scale; the gateways alike, and prod never below two gateway pods.
        const replicas = (c: MeshConfig) => [c.availability.istiod.replicas, c.availability.istiod.maxReplicas, c.availability.eastWestGateway.replicas, c.availability.eastWestGateway.maxReplicas];
        expect([dev, staging, prod].map(replicas)).toEqual([
            [1, 2, 1, 2],
            [2, 4, 2, 4],
            [3, 6, 3, 6],
        ]);
        expect(prod.availability.eastWestGateway.disruptionBudget).toEqual({ minAvailable: 2 });
        for (const c of [staging, prod]) expect(c.availability.istiod.disruptionBudget).toEqual({ maxUnavailable: 1 });
        // Traffic defaults everywhere; staging rehearses production's failover by geography, dev derives its own.
        for (const c of [dev, staging, prod]) expect([c.traffic.dnsProxy, c.traffic.localityLoadBalancing.enabled, c.traffic.outlierDetection?.host]).toEqual([{ capture: true, autoAllocate: true }, true, "*.local"]);
        expect(staging.traffic.localityLoadBalancing).toEqual(prod.traffic.localityLoadBalancing);
        expect(prod.traffic.localityLoadBalancing.failover).toContainEqual({ from: "us-east-1", to: "us-west-2" });
        expect(dev.traffic.localityLoadBalancing.failoverFrom).toBe("regions");
        expect(prod.istio.timeoutSeconds).toBeGreaterThan(dev.istio.timeoutSeconds);
        // Staging rehearses production's allowlist; dev stays reachable from anywhere.
        for (const c of [staging, prod]) expect(c.clusters[0].aws!.publicAccessCidrs).not.toContain("0.0.0.0/0");
        expect(dev.clusters[0].aws!.publicAccessCidrs).toEqual(["0.0.0.0/0"]);
        expect(dev.clusters.map((x) => x.region)).not.toEqual(prod.clusters.map((x) => x.region));
        expect(staging.clusters.map((x) => x.region)).toEqual(prod.clusters.map((x) => x.region));
    });

    test("each has a policy config, and EKS clusters name the environment's deployer", () => {
        for (const env of ENVIRONMENTS) {
            expect(fs.existsSync(path.join(ROOT, "policy", "config", `${env}.json`))).toBe(true);
            for (const aws of configs[env].clusters.flatMap((x) => (x.aws ? [x.aws] : []))) expect(aws.deployerRoleArn).toMatch(/:role\/mesh-deployer$/);
        }
    });

    test("secrets: a secrets provider always comes with its encrypted data key; no stack file holds a secret value", () => {
        for (const env of [...ENVIRONMENTS, "local"]) {
            const { file } = stackFile(env);
            const text = fs.readFileSync(path.join(ROOT, `Pulumi.${env}.yaml`), "utf8");
            const provider = file.secretsprovider as string | undefined;
            if (provider !== undefined && provider !== "passphrase" && provider !== "default") {
                // `pulumi stack init --secrets-provider` writes both; a provider without its key would make a new one.
                expect([env, provider, typeof file.encryptedkey]).toEqual([env, provider, "string"]);
                expect(provider).toMatch(/^(awskms|azurekeyvault|gcpkms|hashivault):\/\//);
            } else {
                expect([env, file.encryptedkey]).toEqual([env, undefined]);
            }
            expect([env, /\bsecure:/.test(text)]).toEqual([env, false]);
        }
        // Production's data key is the production account's KMS key, as its header documents.
        expect(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")).toMatch(/--secrets-provider "awskms:\/\/alias\/mesh-prod-pulumi\?region=us-east-1"/);
    });
});
