/**
 * The mesh's certificate authorities (mirrors Istio's tools/certs/common.mk): one root for the
 * whole mesh and one intermediate per primary cluster, which istiod loads from `cacerts`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { PkiConfig } from "../stacks/config";

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

export class MeshPki extends pulumi.ComponentResource {
    /** The root certificate every cluster trusts; public. */
    readonly rootCertificatePem: pulumi.Output<string>;
    private readonly provider: tls.Provider;
    private readonly rootKey: tls.PrivateKey;
    private readonly rootCert: tls.SelfSignedCert;

    constructor(private readonly name: string, private readonly args: MeshPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:pki:MeshPki", name, {}, opts);
        const { pki, meshId } = args;
        this.provider = new tls.Provider(`${name}-tls`, {}, { parent: this });
        // Losing the root means re-issuing trust for the whole mesh, hence `protect`. And no `up`
        // replaces it: istiod takes no new root without multi-root trust, so a changed input (an
        // edited config, which stacks/root-guard.ts refuses, or a new version of this program, such
        // as the path length below) leaves the deployed root as it is.
        const rootOpts = { parent: this, provider: this.provider, protect: pki.protectRoot };
        this.rootKey = new tls.PrivateKey(`${name}-root-key`, keyArgs(pki), { ...rootOpts, ignoreChanges: ["algorithm", "ecdsaCurve", "rsaBits"] });
        this.rootCert = new tls.SelfSignedCert(
            `${name}-root-cert`,
            {
                privateKeyPem: this.rootKey.privateKeyPem,
                subject: { commonName: `${meshId} Root CA`, organization: pki.organization },
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
            { ...rootOpts, ignoreChanges: ["privateKeyPem", "subject", "isCaCertificate", "maxPathLength", "validityPeriodHours", "allowedUses"] },
        );
        this.rootCertificatePem = this.rootCert.certPem;
        this.registerOutputs({ rootCertificatePem: this.rootCertificatePem });
    }

    /** An intermediate CA for one primary cluster, signed by the root. */
    intermediate(cluster: string): IntermediateCa {
        return new IntermediateCa(`${this.name}-${cluster}`, { cluster, pki: this.args.pki, rootKey: this.rootKey, rootCert: this.rootCert }, { parent: this, providers: [this.provider] });
    }
}

export interface IntermediateCaArgs {
    readonly cluster: string;
    readonly pki: PkiConfig;
    readonly rootKey: tls.PrivateKey;
    readonly rootCert: tls.SelfSignedCert;
}

export class IntermediateCa extends pulumi.ComponentResource {
    readonly bundle: CaBundle;

    constructor(name: string, args: IntermediateCaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesh:pki:IntermediateCa", name, {}, opts);
        const { cluster, pki } = args;
        // A new generation replaces the key, and with it the request and the certificate. Unset at the
        // first generation, so stacks made before the option exist re-issue nothing.
        const generation = pki.intermediateGeneration > 1 ? pki.intermediateGeneration : undefined;
        const key = new tls.PrivateKey(`${name}-key`, keyArgs(pki), { parent: this, replacementTrigger: generation });
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
            "root-cert.pem": args.rootCert.certPem,
            "cert-chain.pem": pulumi.interpolate`${cert.certPem}${args.rootCert.certPem}`,
        };
        this.registerOutputs({});
    }
}

function keyArgs(pki: PkiConfig): tls.PrivateKeyArgs {
    return pki.keyAlgorithm === "RSA" ? { algorithm: "RSA", rsaBits: 4096 } : { algorithm: "ECDSA", ecdsaCurve: "P256" };
}
