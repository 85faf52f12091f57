/**
 * The mesh stack's outputs as a StackReference reads them: the contract between the platform
 * (components/outputs.ts builds them, index.ts exports them) and application teams. One schema
 * gives both the types and the check `MeshReference` runs on what it reads, so a mesh stack
 * whose outputs drifted is refused with the key that moved, not with `undefined` somewhere later.
 * test/contract.test.ts pins it to the program's outputs: renaming, adding or removing an output,
 * or a key inside one, fails that test (and tsc), because every application team's program would
 * break the same way.
 *
 * Parsing strips keys it does not know, so a mesh stack that only adds outputs stays readable.
 */
import { z } from "zod";

const text = z.string().min(1);

/** One cluster of the mesh (`clusters.<name>`). */
export const ClusterEntry = z
    .object({
        /** Where the cluster runs: EKS, AKS, or a cluster the platform brought its own kubeconfig for. */
        provider: z.enum(["aws", "azure", "existing"]),
        /** The cloud region (aws and azure clusters). */
        region: text.optional(),
        /** Clusters with the same network share one flat network; others are reached through east-west gateways. */
        network: text,
        /** A primary runs its own istiod; a remote is served by its primary's. */
        role: z.enum(["primary", "remote"]),
        /** For a remote: the primary whose istiod serves it. */
        primary: text.optional(),
        /** Only with mesh:access.adminKubeconfigOutputs; secret. Not for application teams. */
        adminKubeconfig: text.optional(),
        /** The Kubernetes API server's URL. */
        apiServer: text,
        /** The east-west gateway's load balancer address (IP or hostname), where the cluster has one. */
        eastWestGatewayAddress: text.optional(),
    })
    .readonly();
export type ClusterEntry = z.infer<typeof ClusterEntry>;

/** One application team (`teams.<name>`). */
export const TeamEntry = z
    .object({
        /** The Kubernetes built-in role the team has in its namespaces, and nowhere else. */
        role: z.enum(["view", "edit", "admin"]),
        /** The team's namespaces, in every one of its clusters; the first is its credentials' default. */
        namespaces: z.array(text).min(1).readonly(),
        /** Per cluster the team may deploy to: a kubeconfig for its ServiceAccount (secret). */
        clusters: z.record(text, z.object({ kubeconfig: text }).readonly()).readonly(),
    })
    .readonly();
export type TeamEntry = z.infer<typeof TeamEntry>;

/** Every output of the mesh stack. */
export const MeshStackOutputs = z
    .object({
        meshId: text,
        trustDomain: text,
        /** The root CA certificate (PEM) that issues the mesh's intermediates. */
        rootCertificatePem: text,
        /** Every root the mesh trusts (PEM, oldest first): the root alone, or both roots during a rotation. Trust this one. */
        trustBundlePem: text,
        istio: z
            .object({
                version: text,
                chartRepository: text,
                /** The generation of the reader tokens istiods watch other clusters with (mesh:remoteSecrets.tokenGeneration); absent from stacks deployed before it was exported. */
                readerTokenGeneration: z.number().int().positive().optional(),
            })
            .readonly(),
        /** network → the names of its clusters. */
        networks: z.record(text, z.array(text).readonly()).readonly(),
        clusters: z.record(text, ClusterEntry).readonly(),
        teams: z.record(text, TeamEntry).readonly(),
    })
    .readonly();
export type MeshStackOutputs = z.infer<typeof MeshStackOutputs>;

/** The names of the mesh stack's outputs, each read through the StackReference. */
export const MESH_OUTPUT_NAMES = Object.keys(MeshStackOutputs.unwrap().shape) as (keyof MeshStackOutputs)[];
