/** IAM principal ARNs: the names EKS access entries get, and who an STS caller is. Pure, so config and tests share it. */

export interface Principal {
    readonly partition: string;
    readonly account: string;
    readonly kind: "role" | "user";
    /** The IAM name, without its path. */
    readonly name: string;
}

const IAM_PRINCIPAL = /^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)\/(?:.*\/)?([^/]+)$/;
// What STS's GetCallerIdentity returns for a role session; the path is not part of it
// (terraform-provider-aws internal/service/iam/session_context_data_source.go, roleNameSessionFromARN).
const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/** An IAM role or user ARN (`arn:aws:iam::<account>:role/<path/>name`); undefined for anything else. */
export function parsePrincipal(arn: string): Principal | undefined {
    const m = IAM_PRINCIPAL.exec(arn);
    return m ? { partition: m[1], account: m[2], kind: m[3] as "role" | "user", name: m[4] } : undefined;
}

/** The IAM principal behind a caller ARN: the role of an assumed-role session, or the user itself. */
export function callerPrincipal(callerArn: string): Principal | undefined {
    const m = ASSUMED_ROLE.exec(callerArn);
    return m ? { partition: m[1], account: m[2], kind: "role", name: m[3] } : parsePrincipal(callerArn);
}

/**
 * Whether the caller is one of `principalArns`. Paths are ignored: a session ARN carries none, and a
 * role's name is unique in its account whatever its path.
 */
export function isPrincipalListed(callerArn: string, principalArns: readonly string[]): boolean {
    const caller = callerPrincipal(callerArn);
    if (!caller) return false;
    return principalArns.some((arn) => {
        const p = parsePrincipal(arn);
        return p !== undefined && p.partition === caller.partition && p.account === caller.account && p.kind === caller.kind && p.name === caller.name;
    });
}

/**
 * The suffix of an admin's EKS access entry resource, `<cluster>-admin-<suffix>`: the ARN's last
 * segment, lower-cased. Stable per ARN (entries made before this rule keep their URNs), but not
 * injective, so config validation refuses two ARNs with one suffix.
 */
export function accessEntrySuffix(arn: string): string {
    return arn.split("/").pop()!.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}
