/**
 * Config edits that would replace a running mesh's root CA. istiod does not take a new root
 * without multi-root trust (pilot/pkg/bootstrap/istio_ca.go: "Multi root is disabled, updating
 * new ROOT-CA not supported"), so a silently replaced root splits the mesh. The program never
 * replaces the root on an ordinary `up` (components/pki.ts ignores changes to its inputs), and a
 * config that no longer describes the deployed root is refused here, naming each key.
 */
import { X509Certificate } from "crypto";
import { MeshConfig } from "./config";
import { rootPlan } from "./rotation";

/** A root's common name carries its generation after the first (stacks/rotation.ts). */
export function rootCommonName(meshId: string, generation: number): string {
    return generation > 1 ? `${meshId} Root CA ${generation}` : `${meshId} Root CA`;
}

/** The generation a deployed root's common name says it is. */
export function rootGenerationOf(pem: string): number {
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(new X509Certificate(pem).subject)?.[1] ?? "";
    return Number(/ Root CA (\d+)$/.exec(cn)?.[1] ?? 1);
}

/** The root settings of a config, as they show in the certificate the program issues from them. */
export function rootIdentity(config: Pick<MeshConfig, "meshId" | "pki">) {
    return {
        commonName: rootCommonName(config.meshId, rootPlan(config.pki).issuing),
        organization: config.pki.organization,
        keyAlgorithm: config.pki.keyAlgorithm,
        validityDays: config.pki.rootValidityDays,
    };
}

/** What the deployed root certificate says about the same settings. */
export function deployedRootIdentity(pem: string): ReturnType<typeof rootIdentity> {
    const cert = new X509Certificate(pem);
    const subject = Object.fromEntries(cert.subject.split("\n").map((line) => line.split("=", 2) as [string, string]));
    const days = Math.round((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000);
    return {
        commonName: subject.CN ?? "",
        organization: subject.O ?? "",
        keyAlgorithm: cert.publicKey.asymmetricKeyType === "rsa" ? "RSA" : "ECDSA",
        validityDays: days,
    };
}

const KEYS = {
    commonName: "mesh:meshId",
    organization: "mesh:pki.organization",
    keyAlgorithm: "mesh:pki.keyAlgorithm",
    validityDays: "mesh:pki.rootValidityDays",
} as const;

/** One problem per config key whose value would replace the deployed root; none for an unchanged root. */
export function rootReplacingEdits(config: Pick<MeshConfig, "meshId" | "pki">, deployedRootPem: string): string[] {
    const want = rootIdentity(config);
    const have = deployedRootIdentity(deployedRootPem);
    return (Object.keys(KEYS) as (keyof typeof KEYS)[])
        .filter((k) => want[k] !== have[k])
        .map((k) => {
            const shown = (v: string | number) => (k === "commonName" ? String(v).replace(/ Root CA( \d+)?$/, "") : v);
            return (
                `${KEYS[k]}: ${JSON.stringify(shown(want[k]))} would replace the running mesh's root CA, issued with ${JSON.stringify(shown(have[k]))}; ` +
                `a new root splits the mesh until every istiod trusts it. Keep ${JSON.stringify(shown(have[k]))}; a root change is a rotation (README: Root CA rotation)`
            );
        });
}
