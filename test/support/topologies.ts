/** The topologies the issue names, as raw stack config. */
import * as fc from "fast-check";
import { DEPLOYER_ROLE_ARN } from "./mocks";
import { writeKubeconfig } from "./run";

/** EKS admins: the role the mock caller's session belongs to. */
const adminPrincipalArns = [DEPLOYER_ROLE_ARN];

/** Multi-primary, multi-network across aws, azure and an existing cluster. */
export function multiPrimaryMultiNetwork(): Record<string, unknown> {
    const kubeconfig = writeKubeconfig({ onprem: "https://onprem.example.internal:6443" });
    return {
        meshId: "prod-mesh",
        clusters: [
            { name: "aws-east", provider: "aws", region: "us-east-1", network: "net-aws", aws: { vpcCidr: "10.10.0.0/16", adminPrincipalArns } },
            { name: "azure-west", provider: "azure", region: "westeurope", network: "net-azure", azure: { vnetCidr: "10.20.0.0/16" } },
            { name: "onprem", provider: "existing", network: "net-dc", existing: { kubeconfig } },
        ],
    };
}

/** Primary-remote on one network. */
export function primaryRemoteSingleNetwork(): Record<string, unknown> {
    return {
        meshId: "edge",
        trustDomain: "edge.example.com",
        clusters: [
            { name: "aws-main", provider: "aws", region: "us-east-1", network: "flat", aws: { vpcCidr: "10.0.0.0/16", adminPrincipalArns } },
            { name: "aws-satellite", provider: "aws", region: "us-east-2", network: "flat", role: "remote", primary: "aws-main", aws: { vpcCidr: "10.1.0.0/16", adminPrincipalArns } },
        ],
    };
}

/** Two primaries plus a remote on three networks (the production shape). */
export function twoPrimariesAndRemote(): Record<string, unknown> {
    return {
        meshId: "prod-mesh",
        istio: { version: "1.30.3" },
        pki: { organization: "Example Corp", keyAlgorithm: "RSA" },
        clusters: [
            { name: "aws-east", provider: "aws", region: "us-east-1", network: "net-east", aws: { vpcCidr: "10.10.0.0/16", adminPrincipalArns } },
            { name: "azure-west", provider: "azure", region: "westeurope", network: "net-westeurope", azure: { vnetCidr: "10.20.0.0/16" } },
            { name: "aws-west", provider: "aws", region: "us-west-2", network: "net-west", role: "remote", primary: "aws-east", aws: { vpcCidr: "10.30.0.0/16", adminPrincipalArns } },
        ],
    };
}

/** A random valid raw config: 1–`max` clusters on 1–3 networks, at least one primary, remotes served by primaries. */
export function rawTopology(max: number) {
    return fc
        .record({
            size: fc.integer({ min: 1, max }),
            networks: fc.integer({ min: 1, max: 3 }),
            seed: fc.array(fc.record({ network: fc.nat(), remote: fc.boolean(), primary: fc.nat(), cloud: fc.constantFrom("aws", "azure") }), { minLength: max, maxLength: max }),
        })
        .map(({ size, networks, seed }) => {
            const primaries = seed.slice(0, size).map((s, i) => i === 0 || !s.remote);
            const primaryIdx = primaries.flatMap((p, i) => (p ? [i] : []));
            const clusters = seed.slice(0, size).map((s, i) => ({
                name: `c${i}`,
                provider: s.cloud,
                region: s.cloud === "aws" ? "us-east-1" : "westeurope",
                network: `n${s.network % networks}`,
                ...(primaries[i] ? {} : { role: "remote", primary: `c${primaryIdx[s.primary % primaryIdx.length]}` }),
                ...(s.cloud === "aws" ? { aws: { vpcCidr: `10.${i}.0.0/16`, adminPrincipalArns: [DEPLOYER_ROLE_ARN] } } : { azure: { vnetCidr: `10.${i}.0.0/16`, serviceCidr: `10.${100 + i}.0.0/16` } }),
            }));
            return { meshId: "m", clusters };
        });
}
