/** Throwaway CA hierarchies for the mesh-check tests, built with @peculiar/x509 (P-256). */
import "reflect-metadata";
import { webcrypto } from "crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const DAY = 24 * 3600 * 1000;

export interface Ca {
    readonly pem: string;
    readonly keyPem: string;
    readonly cert: x509.X509Certificate;
    readonly keys: CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
    return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key as any), "PRIVATE KEY");
}

/** A root CA valid from `from` for `days`; its CN is `<name> Root CA` unless given (a later generation's). */
export async function rootCa(name: string, from: Date, days: number, commonName = `${name} Root CA`): Promise<Ca> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: "01",
        name: `CN=${commonName}, O=${name}`,
        notBefore: from,
        notAfter: new Date(from.getTime() + days * DAY),
        keys,
        signingAlgorithm: ALG,
        extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
    });
    return { pem: cert.toString("pem") + "\n", keyPem: await keyPem(keys.privateKey), cert, keys };
}

/** An intermediate CA `L=<cluster>` signed by `root`, as components/pki.ts makes them. */
export async function intermediateCa(root: Ca, cluster: string, from: Date, days: number, opts: { ca?: boolean } = {}): Promise<Ca> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: "02",
        subject: `CN=Intermediate CA, O=test, L=${cluster}`,
        issuer: root.cert.subject,
        notBefore: from,
        notAfter: new Date(from.getTime() + days * DAY),
        publicKey: keys.publicKey,
        signingKey: root.keys.privateKey,
        signingAlgorithm: ALG,
        extensions: [new x509.BasicConstraintsExtension(opts.ca ?? true, undefined, true)],
    });
    return { pem: cert.toString("pem") + "\n", keyPem: await keyPem(keys.privateKey), cert, keys };
}

/** The four keys of `cacerts`, as the program writes them. */
export function cacerts(inter: Ca, root: Ca): Record<string, string> {
    return { "ca-cert.pem": inter.pem, "ca-key.pem": inter.keyPem, "root-cert.pem": root.pem, "cert-chain.pem": inter.pem + root.pem };
}
