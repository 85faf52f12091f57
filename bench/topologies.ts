import { MeshConfig, parseMeshConfig } from "../stacks/config";
import { DEPLOYER_ROLE_ARN } from "../test/support/mocks";

const aws = { adminPrincipalArns: [DEPLOYER_ROLE_ARN] };

/**
 * The benchmark's meshes: "N" is N primaries alternating EKS and AKS, each on its own network
 * (32 clusters make 32 × 31 = 992 remote secrets); "3p" is the production shape (two primaries
 * and a remote on three networks). `extra`: further `mesh:*` keys (bench/features.ts).
 */
export function benchMesh(size: string, extra: Record<string, unknown> = {}): MeshConfig {
    const n = parseInt(size, 10);
    const clusters =
        size === "3p"
            ? [
                  { name: "aws-east", provider: "aws", region: "us-east-1", network: "net-east", aws },
                  { name: "azure-west", provider: "azure", region: "westeurope", network: "net-westeurope" },
                  { name: "aws-west", provider: "aws", region: "us-west-2", network: "net-west", role: "remote", primary: "aws-east", aws },
              ]
            : Array.from({ length: n }, (_, i) =>
                  i % 2 === 0
                      ? { name: `aws-${i}`, provider: "aws", region: "us-east-1", network: `net-${i}`, aws }
                      : { name: `azure-${i}`, provider: "azure", region: "westeurope", network: `net-${i}` },
              );
    return parseMeshConfig({ meshId: "bench", clusters, ...extra });
}
