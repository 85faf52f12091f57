/** Istio release versions as mesh:istio.version and revisions give them (validated: x.y.z, maybe -pre). */

export interface Version {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
}

/** major.minor.patch of a version; a pre-release counts as its release. */
export function parseVersion(v: string): Version | undefined {
    const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
    return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

export function compareVersions(a: string, b: string): number {
    const [x, y] = [parseVersion(a), parseVersion(b)];
    if (!x || !y) return a.localeCompare(b);
    return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}

/** `version` is `release` or later. */
export function atLeast(version: string, release: string): boolean {
    return compareVersions(version, release) >= 0;
}
