/**
 * The mesh-wide Istio objects of one primary (stacks/policy.ts renders them from `mesh:policy`):
 * every primary gets the same list, so one config change shows as one change per primary in the
 * same preview.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MeshWideObject, objectId } from "../../stacks/policy";

export interface MeshPolicyArgs {
    /** The objects, each after the ones it names in `after` (meshWideObjects' order). */
    readonly objects: readonly MeshWideObject[];
    /** The primary's Kubernetes provider. */
    readonly provider: k8s.Provider;
    /** The primary's istio-system namespace resource's name, so that every object waits for it. */
    readonly namespace: pulumi.Input<string>;
    /**
     * The CRDs (`base`) and the istiod whose validating webhook (failurePolicy Fail) admits these
     * objects: created after it, and on destroy deleted while it still answers (README: Istio
     * objects wait for istiod). Nothing of another cluster.
     */
    readonly after: readonly pulumi.Resource[];
}

/** A child per object, `${name}-<kind>-<object name>`: named after its identity, so reordering the config changes nothing. */
export class MeshPolicy extends pulumi.ComponentResource {
    /** By `Kind/name`. */
    readonly objects: ReadonlyMap<string, k8s.apiextensions.CustomResource>;

    constructor(name: string, args: MeshPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:istio:MeshPolicy", name, {}, opts);
        const objects = new Map<string, k8s.apiextensions.CustomResource>();
        for (const o of args.objects) {
            const after = o.after.map((id) => {
                const dependency = objects.get(id);
                if (!dependency) throw new Error(`mesh-wide object ${objectId(o)} must come after ${id}, which is not created before it`);
                return dependency;
            });
            // Only metadata.name and namespace (and the type: apiVersion, kind) replace a custom
            // resource; spec, labels and annotations update it in place (pulumi-kubernetes
            // provider/pkg/provider/provider.go Diff, diff.go forceNewProperties).
            const resource = new k8s.apiextensions.CustomResource(
                `${name}-${o.kind.toLowerCase()}-${o.metadata.name}`,
                { apiVersion: o.apiVersion, kind: o.kind, metadata: { ...o.metadata, namespace: args.namespace }, spec: o.spec },
                { parent: this, provider: args.provider, dependsOn: [...args.after, ...after] },
            );
            objects.set(objectId(o), resource);
        }
        this.objects = objects;
        this.registerOutputs({});
    }
}
