/** Real certificates for tests, issued by the tls stand-in, which is pinned to the real provider. */
import { parseMeshConfig } from "../../stacks/config";
import { rootCommonName } from "../../stacks/root-guard";
import * as standIn from "../e2e/tls-provider/provider";

const urn = (type: string, name: string) => `urn:pulumi:test::mesh::tls:index/${type}::${name}`;

/** A root (of generation `generation`) issued the way components/pki.ts issues it, by the tls stand-in (faithful to the real provider). */
export async function issueRoot(raw: Record<string, unknown>, generation = 1): Promise<string> {
    const { pki, meshId } = parseMeshConfig(raw);
    const p = new standIn.TlsProvider();
    const keyArgs = pki.keyAlgorithm === "RSA" ? { algorithm: "RSA", rsaBits: 2048 } : { algorithm: "ECDSA", ecdsaCurve: "P256" };
    const key = standIn.unwrap((await p.create(urn("privateKey:PrivateKey", "root-key"), keyArgs)).outs);
    const cert = await p.create(urn("selfSignedCert:SelfSignedCert", "root-cert"), {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: rootCommonName(meshId, generation), organization: pki.organization },
        isCaCertificate: true,
        maxPathLength: 1,
        validityPeriodHours: pki.rootValidityDays * 24,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    });
    return standIn.unwrap(cert.outs).certPem;
}

