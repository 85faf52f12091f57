/**
 * Istio releases with a known defect that a config change would run into. The check is on the
 * release the change would meet, so a config that upgrades Istio first and changes later passes.
 */
import { atLeast, parseVersion } from "./istio-version";

/**
 * Whether istiod takes a remote secret updated in place (a new reader token) and re-establishes the
 * cluster's watch. Before these fixes its multicluster secret controller deadlocks on the update, so
 * the cluster stays `closed` and every later secret event (a cluster added or removed) waits behind
 * it until istiod restarts: istio/istio#59875 (fixed in 1.29.3; earlier lines share the code and got
 * no fix) and, in the 1.30 line's new swap-on-update path, #60612 (fixed in 1.30.3 and 1.31.0).
 */
export function takesRemoteSecretUpdates(version: string): boolean {
    const v = parseVersion(version);
    if (v?.major === 1 && (v.minor === 29 || v.minor === 30)) return v.patch >= 3;
    return atLeast(version, "1.31.0");
}

export interface DeployedIstio {
    readonly version?: string;
    readonly readerTokenGeneration?: number;
}

/**
 * A reader token rotation updates every remote secret in place: refused while the istiods that
 * would take it (the deployed ones, and those the config installs) cannot.
 */
export function tokenRotationProblems(
    config: { istio: { version: string }; remoteSecrets: { tokenGeneration: number; schedule?: { everyDays: number; since: string } } },
    deployed: DeployedIstio | undefined,
): string[] {
    const from = deployed?.readerTokenGeneration;
    const to = config.remoteSecrets.tokenGeneration;
    if (from === undefined || from === to) return [];
    if (to < from) {
        // Dropping a schedule (or lowering the number) would rotate back to an older token name: a
        // rotation nobody asked for. Keeping the tokens in use means naming their generation.
        return [
            `mesh:remoteSecrets.tokenGeneration: the generation in effect would go back from ${from} to ${to}, which rotates every reader token; ` +
                `set tokenGeneration: ${from} to keep the tokens in use (after removing a schedule, its periods no longer count)`,
        ];
    }
    const stuck = [...new Set([deployed?.version, config.istio.version])].filter((v): v is string => v !== undefined && !takesRemoteSecretUpdates(v));
    if (stuck.length === 0) return [];
    const schedule = config.remoteSecrets.schedule;
    const by = schedule ? ` (with mesh:remoteSecrets.schedule: every ${schedule.everyDays} days since ${schedule.since})` : "";
    return [
        `mesh:remoteSecrets.tokenGeneration${by}: ${from} → ${to} updates every remote secret in place, which istiod ${stuck.join(" and ")} cannot take ` +
            `(its secret controller deadlocks and stops watching the cluster until restarted: istio/istio#59875, #60612); ` +
            `upgrade Istio first (mesh:istio.version 1.29.3, 1.30.3, 1.31.0 or later), then rotate${schedule ? " (or drop the schedule until then)" : ""}`,
    ];
}
