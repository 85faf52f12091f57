/**
 * Istio upgrades by revision (canary): which istiod revisions run, and in each cluster which
 * revision each revision tag (`istio.io/rev=<tag>`) points at. Pure: checked with the config,
 * before any resource exists.
 *
 * A revision named `default` is Istio's revision-less install (the chart's `revision | default
 * "default"`): the Helm release `istiod` a stack without `revisions` has, with the same name and
 * values, so a running in-place install becomes the old side of a canary upgrade without change.
 */
import { ClusterConfig } from "./config";
import { compareVersions, parseVersion } from "./istio-version";

/** Istio's name for the revision-less install. */
export const DEFAULT_REVISION = "default";
/** The tag namespaces labelled `istio-injection=enabled` (and gateways) follow. */
export const DEFAULT_TAG = "default";
/** The running revision and its canary: Istio supports a canary up to two minor versions ahead. */
export const MAX_REVISIONS = 2;

export interface RevisionInput {
    readonly name: string;
    readonly version: string;
    readonly chartRepository?: string;
}

export interface IstioRevision {
    readonly name: string;
    readonly version: string;
    readonly chartRepository: string;
    /** Set when chartRepository is a local directory: its absolute path. */
    readonly chartDirectory?: string;
}

export interface RevisionsInput {
    readonly revisions?: readonly RevisionInput[];
    readonly tags?: Readonly<Record<string, string>>;
    readonly clusterTags?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** What a cluster runs: its revisions (config order) and where each tag points. */
export interface ClusterRevisions {
    readonly revisions: readonly IstioRevision[];
    /** tag → revision name; always has `default`. */
    readonly tags: Readonly<Record<string, string>>;
}

export function isRevisionless(revision: { readonly name: string }): boolean {
    return revision.name === DEFAULT_REVISION;
}

/** The revision the `default` tag points at in a cluster: its gateway, validation and base follow it. */
export function defaultTarget(c: ClusterRevisions): IstioRevision {
    return c.revisions.find((r) => r.name === c.tags[DEFAULT_TAG])!;
}

/** The newest revision: the base chart (CRDs) comes from it, as Istio upgrades CRDs first. */
export function newestRevision(c: ClusterRevisions): IstioRevision {
    return [...c.revisions].sort((a, b) => compareVersions(b.version, a.version))[0];
}

/** Tags a revision's own release renders (`revisionTags`): the revision-less install serves `default` itself. */
export function tagsOf(c: ClusterRevisions, revision: IstioRevision): string[] {
    return Object.entries(c.tags)
        .filter(([tag, rev]) => rev === revision.name && !(isRevisionless(revision) && tag === DEFAULT_TAG))
        .map(([tag]) => tag)
        .sort();
}

/** Each cluster's revisions and tags; problems are pushed with their keys. */
export function resolveRevisions(
    input: RevisionsInput,
    resolved: readonly IstioRevision[] | undefined,
    clusters: readonly ClusterConfig[] | undefined,
    problems: string[],
): Map<string, ClusterRevisions> | undefined {
    const k = "mesh:istio";
    if (!input.revisions) {
        if (input.tags) problems.push(`${k}.tags: only with ${k}.revisions (without revisions the in-place install serves every namespace)`);
        if (input.clusterTags) problems.push(`${k}.clusterTags: only with ${k}.revisions`);
        return undefined;
    }
    const revisions = input.revisions;
    const before = problems.length;
    if (revisions.length === 0) problems.push(`${k}.revisions: list at least one revision, or leave revisions out for an in-place install`);
    if (revisions.length > MAX_REVISIONS) {
        problems.push(`${k}.revisions: ${revisions.length} revisions; at most ${MAX_REVISIONS} (the running one and its canary): remove the old revision before adding another`);
    }
    revisions.forEach((r, i) => {
        const earlier = revisions.findIndex((o) => o.name === r.name);
        if (earlier < i) problems.push(`${k}.revisions[${i}].name: "${r.name}" is already the name of ${k}.revisions[${earlier}]`);
    });
    const versions = revisions.map((r) => parseVersion(r.version));
    for (let i = 0; i < revisions.length; i++) {
        for (let j = i + 1; j < revisions.length; j++) {
            const [a, b] = [versions[i], versions[j]];
            // "jumping across two minor versions is supported" with revisions (istio.io, Canary Upgrades).
            if (a && b && (a.major !== b.major || Math.abs(a.minor - b.minor) > 2)) {
                problems.push(
                    `${k}.revisions[${j}].version: ${revisions[j].version} next to ${revisions[i].version} (${k}.revisions[${i}]) is more than two minor versions away; Istio supports canary upgrades across at most two minor versions`,
                );
            }
        }
    }
    const names = revisions.map((r) => r.name);
    const checkTags = (tags: Readonly<Record<string, string>>, key: string) => {
        for (const [tag, rev] of Object.entries(tags)) {
            if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(tag)) problems.push(`${key}.${tag}: a tag must be a DNS-1123 label`);
            if (!names.includes(rev)) {
                problems.push(`${key}.${tag}: points at revision "${rev}", which is not in ${k}.revisions (${names.join(", ")}); move the tag to a revision that stays before removing one`);
            }
        }
    };
    checkTags(input.tags ?? {}, `${k}.tags`);
    const clusterNames = (clusters ?? []).map((c) => c.name);
    for (const [cluster, tags] of Object.entries(input.clusterTags ?? {})) {
        if (clusters && !clusterNames.includes(cluster)) problems.push(`${k}.clusterTags.${cluster}: "${cluster}" is not the name of a cluster in mesh:clusters`);
        checkTags(tags, `${k}.clusterTags.${cluster}`);
    }
    const implicit: Record<string, string> = names.includes(DEFAULT_REVISION) ? { [DEFAULT_TAG]: DEFAULT_REVISION } : {};
    const tagsFor = (cluster: string): Record<string, string> => ({ ...implicit, ...input.tags, ...input.clusterTags?.[cluster] });
    for (const cluster of clusterNames) {
        if (!tagsFor(cluster)[DEFAULT_TAG]) {
            problems.push(`${k}.tags.default: required (no revision is named "default"): namespaces labelled istio-injection=enabled and the gateways of "${cluster}" follow it`);
            break;
        }
    }
    if (problems.length > before || !resolved || !clusters) return undefined;
    return new Map(clusters.map((c) => [c.name, { revisions: resolved, tags: tagsFor(c.name) }]));
}
