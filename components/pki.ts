/**
 * The mesh's certificate authorities (mirrors Istio's tools/certs/common.mk): one root for the
 * whole mesh and one intermediate per primary cluster, which istiod loads from `cacerts`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { PkiConfig } from "../stacks/config";
import { rootCommonName } from "../stacks/root-guard";
import { RootPlan, rootPlan } from "../stacks/rotation";

export interface CaBundle {
    /** The four keys of Istio's `cacerts` Secret (security/pkg/pki/util/keycertbundle.go). */
    readonly "ca-cert.pem": pulumi.Output<string>;
    readonly "ca-key.pem": pulumi.Output<string>;
    readonly "root-cert.pem": pulumi.Output<string>;
    readonly "cert-chain.pem": pulumi.Output<string>;
}

export interface MeshPkiArgs {
    readonly meshId: string;
    readonly pki: PkiConfig;
}

const HOURS_PER_DAY = 24;
/** One CA level under the root: the intermediates, which sign workloads only. */
export const ROOT_MAX_PATH_LENGTH = 1;

interface Root {
    readonly key: tls.PrivateKey;
    readonly cert: tls.SelfSignedCert;
}

export class MeshPki extends pulumi.ComponentResource {
    /** The root that issues the intermediates; public. */
    readonly rootCertificatePem: pulumi.Output<string>;
    /** Every root the mesh trusts, oldest first (two during a rotation); public. */
    readonly trustBundlePem: pulumi.Output<string>;
    /** The roots and which one issues, for this config (stacks/rotation.ts). */
    readonly plan: RootPlan;
    private readonly provider: tls.Provider;
    private readonly roots: ReadonlyMap<number, Root>;

    constructor(private readonly name: string, private readonly args: MeshPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:pki:MeshPki", name, {}, opts);
        const { pki } = args;
        this.plan = rootPlan(pki);
        this.provider = new tls.Provider(`${name}-tls`, {}, { parent: this });
        this.roots = new Map(this.plan.roots.map((g) => [g, this.root(g)]));
        this.rootCertificatePem = this.roots.get(this.plan.issuing)!.cert.certPem;
        this.trustBundlePem = pulumi.all(this.plan.roots.map((g) => this.roots.get(g)!.cert.certPem)).apply((pems) => pems.join(""));
        this.registerOutputs({ rootCertificatePem: this.rootCertificatePem, trustBundlePem: this.trustBundlePem });
    }

    /**
     * Root generation `g` (the first keeps the names it always had). Losing a root means re-issuing
     * trust for the whole mesh, hence `protect`, but for a root about to retire (phase issue), so
     * that the next phase may delete it. And no `up` replaces a root: istiod takes no new root
     * without multi-root trust, so a changed input (an edited config, which stacks/root-guard.ts
     * refuses, or a new version of this program, such as the path length below) leaves it as it is.
     */
    private root(g: number): Root {
        const { pki, meshId } = this.args;
        const n = g > 1 ? `${this.name}-root-${g}` : `${this.name}-root`;
        const retiring = g < this.plan.issuing;
        const opts = { parent: this, provider: this.provider, protect: pki.protectRoot && !retiring };
        const key = new tls.PrivateKey(`${n}-key`, keyArgs(pki), { ...opts, ignoreChanges: ["algorithm", "ecdsaCurve", "rsaBits"] });
        const cert = new tls.SelfSignedCert(
            `${n}-cert`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: rootCommonName(meshId, g), organization: pki.organization },
                isCaCertificate: true,
                // No CA below the per-cluster intermediates (what pathlen:0 on each intermediate means in
                // Istio's tools/certs/common.mk). The tls provider cannot write pathlen:0: it copies
                // max_path_length into Go's MaxPathLen but never sets MaxPathLenZero, so 0 writes no limit
                // (terraform-provider-tls internal/provider/common_cert.go). pathlen:1 on the root is written,
                // and verifiers enforce a trust anchor's limit (Go crypto/x509, OpenSSL, BoringSSL in Envoy):
                // root → intermediate → leaf verifies, root → intermediate → sub-CA → leaf does not.
                maxPathLength: ROOT_MAX_PATH_LENGTH,
                validityPeriodHours: pki.rootValidityDays * HOURS_PER_DAY,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            },
            { ...opts, ignoreChanges: ["privateKeyPem", "subject", "isCaCertificate", "maxPathLength", "validityPeriodHours", "allowedUses"] },
        );
        return { key, cert };
    }

    /** An intermediate CA for one primary cluster, signed by the issuing root; its cacerts trust every root. */
    intermediate(cluster: string): IntermediateCa {
        const g = this.plan.issuing;
        const root = this.roots.get(g)!;
        return new IntermediateCa(
            g > 1 ? `${this.name}-${cluster}-root-${g}` : `${this.name}-${cluster}`,
            { cluster, pki: this.args.pki, rootKey: root.key, rootCert: root.cert, trustBundlePem: this.trustBundlePem },
            { parent: this, providers: [this.provider] },
        );
    }
}

export interface IntermediateCaArgs {
    readonly cluster: string;
    readonly pki: PkiConfig;
    readonly rootKey: tls.PrivateKey;
    readonly rootCert: tls.SelfSignedCert;
    /** `root-cert.pem`: every root the mesh trusts (both during a rotation). */
    readonly trustBundlePem: pulumi.Input<string>;
}

export class IntermediateCa extends pulumi.ComponentResource {
    readonly bundle: CaBundle;

    constructor(name: string, args: IntermediateCaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:pki:IntermediateCa", name, {}, opts);
        const { cluster, pki } = args;
        // A new generation replaces the key, and with it the request and the certificate. The engine
        // replaces only when a recorded trigger differs (a missing one never triggers: pkg/resource/
        // deploy/step_generator.go shouldTriggerReplace), so it is always set: stacks made before the
        // option record 1 on their next `up` and re-issue nothing.
        const key = new tls.PrivateKey(`${name}-key`, keyArgs(pki), { parent: this, replacementTrigger: pki.intermediateGeneration });
        const csr = new tls.CertRequest(
            `${name}-csr`,
            {
                privateKeyPem: key.privateKeyPem,
                // L=<cluster> as Istio's tooling does; the SAN is istiod's in-cluster name.
                subject: { commonName: "Intermediate CA", organization: pki.organization, locality: cluster },
                dnsNames: ["istiod.istio-system.svc"],
            },
            { parent: this },
        );
        const validityHours = pki.intermediateValidityDays * HOURS_PER_DAY;
        const cert = new tls.LocallySignedCert(
            `${name}-cert`,
            {
                certRequestPem: csr.certRequestPem,
                caPrivateKeyPem: args.rootKey.privateKeyPem,
                caCertPem: args.rootCert.certPem,
                isCaCertificate: true,
                validityPeriodHours: validityHours,
                // Re-issued by the first `pulumi up` in the last third of its life; istiod reloads cacerts.
                earlyRenewalHours: Math.floor(validityHours / 3),
                allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
            },
            { parent: this },
        );
        this.bundle = {
            "ca-cert.pem": cert.certPem,
            "ca-key.pem": pulumi.secret(key.privateKeyPem),
            "root-cert.pem": pulumi.output(args.trustBundlePem),
            "cert-chain.pem": pulumi.interpolate`${cert.certPem}${args.rootCert.certPem}`,
        };
        this.registerOutputs({});
    }
}

function keyArgs(pki: PkiConfig): tls.PrivateKeyArgs {
    return pki.keyAlgorithm === "RSA" ? { algorithm: "RSA", rsaBits: 4096 } : { algorithm: "ECDSA", ecdsaCurve: "P256" };
}
