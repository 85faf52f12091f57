/** The library for programs that consume the mesh stack: see README "For application teams". */
export { ClusterEntry, MESH_OUTPUT_NAMES, MeshStackOutputs, TeamEntry } from "./contract";
export { MeshReference, TeamAccess } from "./mesh-reference";
export type { ClusterInfo, MeshReferenceArgs } from "./mesh-reference";
