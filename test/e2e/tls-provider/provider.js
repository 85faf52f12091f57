#!/usr/bin/env node
/*
 * A local stand-in for the `tls` resource provider plugin (@pulumi/tls 5.5.1, which bridges
 * hashicorp/terraform-provider-tls v4.3.0), for the local e2e stack only. The real plugin cannot
 * be built here (the Go proxy refuses every github.com/pulumi/pulumi-tls/provider/v5 version; see
 * scripts/toolchain/versions.env).
 *
 * It is meant to be exactly as strict and as surprising as the real provider, so that a test that
 * passes against it would pass against production. Every rule below names the function of the
 * real provider (internal/provider/*.go) or of Go's crypto/x509 that it mirrors; certificates
 * and requests are built with @peculiar/x509 and signed with Node's crypto. Fidelity is pinned by
 * test/tls-provider.test.ts against test/fixtures/tls-oracle/real-provider.json, which oracle/oracle.sh records from
 * the real provider (see test/e2e/README.md, "The tls provider stand-in").
 *
 * Known, deliberate difference: a certificate request whose signature does not verify is refused
 * here; the real provider never checks it (resource_locally_signed_cert.go only parses the CSR).
 */
"use strict";
const crypto = require("crypto");
const net = require("net");
const path = require("path");

// ---------------------------------------------------------------- libraries

/** Resolves a package from the repository's node_modules (this file runs from test/e2e/tls-provider). */
function requireFromRepo(id) {
    for (const dir of [process.env.MESH_REPO, path.resolve(__dirname, "../../..")].filter(Boolean)) {
        try {
            return require(require.resolve(id, { paths: [dir] }));
        } catch { /* next */ }
    }
    return require(id);
}

// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
requireFromRepo("reflect-metadata");
const x509 = requireFromRepo("@peculiar/x509");
x509.cryptoProvider.set(crypto.webcrypto);
// Go signs with P-224 keys (the PrivateKey default curve); WebCrypto does not know the curve.
x509.AsnEcSignatureFormatter.namedCurveSize.set("P-224", 28);

const VERSION = process.env.MESH_TLS_SHIM_VERSION || "5.5.1";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VAL = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const HOUR = 3600 * 1000;

// ---------------------------------------------------------------- errors

/** A diagnostic of the real provider: the bridge reports it as "<summary>: <detail>". */
class TlsError extends Error {
    constructor(summary, detail) {
        super(`${summary}: ${detail}`);
        this.summary = summary;
        this.detail = detail;
    }
}

// ---------------------------------------------------------------- Pulumi values

const isSecret = (v) => v !== null && typeof v === "object" && v[SECRET_SIG] === SECRET_VAL;
const secret = (value) => ({ [SECRET_SIG]: SECRET_VAL, value });
function unwrap(v) {
    if (isSecret(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
}
const hasUnknown = (v) => v === UNKNOWN || (Array.isArray(v) ? v.some(hasUnknown) : v !== null && typeof v === "object" ? Object.values(v).some(hasUnknown) : false);
const isNull = (v) => v === undefined || v === null;
/** Terraform value equality after the bridge's mapping (null fields of objects are absent). */
function sameValue(a, b) {
    const canon = (v) => {
        if (Array.isArray(v)) return v.map(canon);
        if (v !== null && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().filter((k) => !isNull(v[k])).map((k) => [k, canon(v[k])]));
        return isNull(v) ? null : v;
    };
    return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}
const snake = (name) => (name === "streetAddresses" ? "street_address" : name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

// ---------------------------------------------------------------- PEM (Go's encoding/pem)

/** pem.EncodeToMemory: 64-column base64, "\n" line ends, a final newline. */
const pemEncode = (type, der) => `-----BEGIN ${type}-----\n${Buffer.from(der).toString("base64").match(/.{1,64}/g).join("\n")}\n-----END ${type}-----\n`;

/** decodePEM (resource_locally_signed_cert.go): the first block, which must have the expected type. */
function decodePem(text, type) {
    const block = firstPemBlock(text);
    if (!block) throw new Error(`failed to decode PEM of expected type "${type}" from bytes`);
    if (block.type !== type) throw new Error(`invalid PEM type - expected "${type}", got "${block.type}"`);
    return block.der;
}
function firstPemBlock(text) {
    let blocks;
    try {
        blocks = x509.PemConverter.decodeWithHeaders(String(text ?? ""));
    } catch {
        return undefined;
    }
    return blocks.length ? { type: blocks[0].type, der: Buffer.from(blocks[0].rawData) } : undefined;
}

// ---------------------------------------------------------------- ids (common.go)

// unicode.IsSpace runes as UTF-8, besides ASCII \t \n \v \f \r and space.
const UNICODE_SPACES = [0x85, 0xa0, 0x1680, ...Array.from({ length: 11 }, (_, i) => 0x2000 + i), 0x2028, 0x2029, 0x202f, 0x205f, 0x3000].map((c) => Buffer.from(String.fromCodePoint(c), "utf8"));
const ASCII_SPACES = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]);
/** strings.TrimSpace of raw bytes taken as a Go string: whitespace runes at either end go. */
function goTrimSpace(b) {
    const spaceAt = (i, fromEnd) => {
        if (ASCII_SPACES.has(fromEnd ? b[i - 1] : b[i])) return 1;
        const hit = UNICODE_SPACES.find((u) => (fromEnd ? i - u.length >= 0 && b.subarray(i - u.length, i).equals(u) : b.subarray(i, i + u.length).equals(u)));
        return hit ? hit.length : 0;
    };
    let start = 0, end = b.length;
    for (let n; start < end && (n = spaceAt(start, false)); ) start += n;
    for (let n; end > start && (n = spaceAt(end, true)); ) end -= n;
    return b.subarray(start, end);
}
/** hashForState: hex SHA-1 of strings.TrimSpace(value). The provider hashes DER as a string, so trailing 0x0a, 0x20, … bytes are not hashed. */
const hashForState = (der) => (der.length ? crypto.createHash("sha1").update(goTrimSpace(Buffer.from(der))).digest("hex") : "");

// ---------------------------------------------------------------- keys (common_key.go, resource_private_key.go)

const ALGORITHMS = ["RSA", "ECDSA", "ED25519"];
const CURVES = { P224: "P-224", P256: "P-256", P384: "P-384", P521: "P-521" };
const NODE_CURVES = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };
const CURVE_OF_NODE = { secp224r1: "P-224", prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };
// PEM preambles the provider knows (types.go pemBlockToPEMPreamble) and which of them hold private keys (keyParsers).
const PREAMBLES = ["PUBLIC KEY", "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "CERTIFICATE", "CERTIFICATE REQUEST"];
const KEY_FORMATS = { "RSA PRIVATE KEY": "pkcs1", "EC PRIVATE KEY": "sec1", "PRIVATE KEY": "pkcs8" };

/** parsePrivateKeyPEM: a crypto.KeyObject and its algorithm (RSA, ECDSA, ED25519). */
function parsePrivateKeyPem(text) {
    const block = firstPemBlock(text);
    if (!block) {
        const n = Buffer.byteLength(String(text ?? ""));
        throw new Error(`failed to decode PEM block: decoded bytes 0, undecoded ${n}`);
    }
    if (!PREAMBLES.includes(block.type)) throw new Error(`unsupported PEM preamble/type: ${block.type}`);
    const format = KEY_FORMATS[block.type];
    if (!format) throw new Error(`unable to determine parser for PEM preamble: ${block.type}`);
    let key;
    try {
        key = crypto.createPrivateKey({ key: block.der, format: "der", type: format });
    } catch (e) {
        throw new Error(`failed to parse private key given PEM preamble '${block.type}': ${e.message}`);
    }
    const type = key.asymmetricKeyType;
    // x509.ParsePKCS8PrivateKey / ParseECPrivateKey accept only these key types and NIST curves.
    if (type === "ec" && !CURVE_OF_NODE[key.asymmetricKeyDetails.namedCurve]) throw new Error(`failed to parse private key given PEM preamble '${block.type}': x509: unknown elliptic curve`);
    const algorithm = { rsa: "RSA", ec: "ECDSA", ed25519: "ED25519" }[type];
    if (!algorithm) throw new Error(`failed to parse private key given PEM preamble '${block.type}': x509: PKCS#8 wrapping contained private key with unknown algorithm`);
    return { key, algorithm };
}

/** keyGenerators: RSA (Go refuses < 1024 bits), ECDSA on the four NIST curves, ED25519. */
function generateKey({ algorithm, rsaBits, ecdsaCurve }) {
    if (algorithm === "RSA") {
        if (rsaBits < 1024) throw new TlsError("Unable to generate Key from configuration", `crypto/rsa: ${rsaBits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)`);
        return crypto.generateKeyPairSync("rsa", { modulusLength: rsaBits, publicExponent: 65537 }).privateKey;
    }
    if (algorithm === "ECDSA") {
        if (!NODE_CURVES[ecdsaCurve]) throw new TlsError("Unable to generate Key from configuration", `invalid ECDSA curve; supported values are: [${Object.keys(CURVES).join(" ")}]`);
        return crypto.generateKeyPairSync("ec", { namedCurve: NODE_CURVES[ecdsaCurve] }).privateKey;
    }
    if (algorithm === "ED25519") return crypto.generateKeyPairSync("ed25519").privateKey;
    throw new TlsError("Invalid Key Algorithm", `Key Algorithm "${algorithm}" is not supported`);
}

const jwkBytes = (key, field) => Buffer.from(key.export({ format: "jwk" })[field], "base64url");
const ecCurve = (key) => CURVE_OF_NODE[key.asymmetricKeyDetails.namedCurve];
/** elliptic.Marshal: the uncompressed point 04 || X || Y, i.e. the subjectPublicKey of the SPKI (JWK has no P-224). */
const publicOf = (key) => (key.type === "public" ? key : crypto.createPublicKey(key));
const ecPoint = (key) => Buffer.from(new x509.PublicKey(publicOf(key).export({ type: "spki", format: "der" })).asn.subjectPublicKey);

// SSH wire encoding (RFC 4251), as golang.org/x/crypto/ssh Marshal writes it.
function sshUint32(n) { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; }
const sshString = (b) => Buffer.concat([sshUint32(b.length), Buffer.from(b)]);
function sshMpint(b) {
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    b = b.subarray(i);
    return sshString(b.length && b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}
const SSH_CURVES = { "P-256": "nistp256", "P-384": "nistp384", "P-521": "nistp521" };

/** ssh.NewPublicKey(...).Marshal(); undefined for P-224, which x/crypto/ssh does not support. */
function sshPublicKey(key) {
    const pub = crypto.createPublicKey(key);
    if (key.asymmetricKeyType === "rsa") {
        return { type: "ssh-rsa", blob: Buffer.concat([sshString("ssh-rsa"), sshMpint(jwkBytes(pub, "e")), sshMpint(jwkBytes(pub, "n"))]) };
    }
    if (key.asymmetricKeyType === "ed25519") return { type: "ssh-ed25519", blob: Buffer.concat([sshString("ssh-ed25519"), sshString(jwkBytes(pub, "x"))]) };
    const curve = SSH_CURVES[ecCurve(key)];
    if (!curve) return undefined;
    const type = `ecdsa-sha2-${curve}`;
    return { type, blob: Buffer.concat([sshString(type), sshString(curve), sshString(ecPoint(key))]) };
}

/** ssh.MarshalPrivateKey(key, "") encoded with pem.EncodeToMemory ("" for P-224: prvKeySupportsOpenSSHMarshalling). */
function opensshPrivateKey(key) {
    const ssh = sshPublicKey(key);
    if (!ssh) return "";
    const d = (f) => jwkBytes(key, f);
    let rest;
    if (key.asymmetricKeyType === "rsa") {
        rest = Buffer.concat([d("n"), d("e"), d("d"), d("qi"), d("p"), d("q")].map(sshMpint));
    } else if (key.asymmetricKeyType === "ed25519") {
        rest = Buffer.concat([sshString(d("x")), sshString(Buffer.concat([d("d"), d("x")]))]);
    } else {
        rest = Buffer.concat([sshString(SSH_CURVES[ecCurve(key)]), sshString(ecPoint(key)), sshMpint(d("d"))]);
    }
    const check = crypto.randomBytes(4);
    let block = Buffer.concat([check, check, sshString(ssh.type), rest, sshString("")]);
    // generateOpenSSHPadding(block, 8): bytes 1, 2, 3, … up to a multiple of 8.
    const pad = (8 - (block.length % 8)) % 8;
    block = Buffer.concat([block, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0"), sshString("none"), sshString("none"), sshString(""), sshUint32(1),
        sshString(ssh.blob), sshString(block),
    ]);
    return pemEncode("OPENSSH PRIVATE KEY", body);
}

/** The attributes resource_private_key.go Create and setPublicKeyAttributes store for a key. */
function privateKeyAttributes(key) {
    const pub = crypto.createPublicKey(key);
    const spki = pub.export({ type: "spki", format: "der" });
    const format = { rsa: "pkcs1", ec: "sec1", ed25519: "pkcs8" }[key.asymmetricKeyType];
    const ssh = sshPublicKey(key);
    return {
        id: hashForState(spki),
        privateKeyPem: key.export({ type: format, format: "pem" }),
        privateKeyPemPkcs8: key.export({ type: "pkcs8", format: "pem" }),
        privateKeyOpenssh: opensshPrivateKey(key),
        publicKeyPem: pub.export({ type: "spki", format: "pem" }),
        publicKeyOpenssh: ssh ? `${ssh.type} ${ssh.blob.toString("base64")}\n` : "",
        publicKeyFingerprintMd5: ssh ? crypto.createHash("md5").update(ssh.blob).digest("hex").match(/../g).join(":") : "",
        publicKeyFingerprintSha256: ssh ? `SHA256:${crypto.createHash("sha256").update(ssh.blob).digest("base64").replace(/=+$/, "")}` : "",
    };
}

/**
 * generateSubjectKeyID (common_cert.go): SHA-1 of the provider's own marshalling of the key:
 * PKCS#1 RSAPublicKey, the uncompressed EC point, and for Ed25519 asn1.Marshal of the 32-byte
 * slice, i.e. an OCTET STRING (tag 4, length 32) around the key, NOT the bare key as RFC 5280.
 */
function subjectKeyId(publicKey) {
    let bytes;
    if (publicKey.asymmetricKeyType === "rsa") bytes = publicKey.export({ type: "pkcs1", format: "der" });
    else if (publicKey.asymmetricKeyType === "ec") bytes = ecPoint(publicKey);
    else bytes = Buffer.concat([Buffer.from([0x04, 0x20]), jwkBytes(publicKey, "x")]);
    return crypto.createHash("sha1").update(bytes).digest();
}

/**
 * The signature Go's signingParamsForKey picks (RSA: PKCS#1 v1.5 SHA-256; ECDSA: SHA-256 for
 * P-224/P-256, SHA-384 for P-384, SHA-512 for P-521; Ed25519), as @peculiar/x509 signing
 * parameters plus a minimal crypto provider that signs with Node's crypto (WebCrypto has no P-224).
 */
function signerFor(key) {
    let algorithm, hash;
    if (key.asymmetricKeyType === "rsa") {
        hash = "sha256";
        algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    } else if (key.asymmetricKeyType === "ec") {
        const curve = ecCurve(key);
        hash = { "P-384": "sha384", "P-521": "sha512" }[curve] ?? "sha256";
        algorithm = { name: "ECDSA", namedCurve: curve, hash: hash.replace("sha", "SHA-") };
    } else {
        hash = null;
        algorithm = { name: "Ed25519" };
    }
    const spki = crypto.createPublicKey(key).export({ type: "spki", format: "der" });
    const subtle = {
        sign: async (_alg, _key, data) => crypto.sign(hash, Buffer.from(data), { key, dsaEncoding: "ieee-p1363" }),
        exportKey: async () => spki,
    };
    return { signingKey: { algorithm }, algorithm, crypto: { subtle, getRandomValues: (a) => crypto.getRandomValues(a) } };
}

// ---------------------------------------------------------------- names (Go's pkix.Name)

// pkix.Name.ToRDNSequence order; the provider fills one value per field, street addresses a list.
const NAME_FIELDS = [
    ["country", "2.5.4.6"], ["province", "2.5.4.8"], ["locality", "2.5.4.7"], ["streetAddresses", "2.5.4.9"],
    ["postalCode", "2.5.4.17"], ["organization", "2.5.4.10"], ["organizationalUnit", "2.5.4.11"],
    ["commonName", "2.5.4.3"], ["serialNumber", "2.5.4.5"],
];
const OID_EMAIL = "1.2.840.113549.1.9.1";
const FIELD_OF_OID = Object.fromEntries(NAME_FIELDS.map(([f, o]) => [o, f]));
const SINGLE = new Set(["commonName", "serialNumber"]);

/** encoding/asn1 marshals a Go string as PrintableString when it can (no '*', no '&'), else UTF8String. */
const printable = (s) => /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s);
const stringValue = (s) => (printable(s) ? { printableString: s } : { utf8String: s });
/** DER sorts a SET OF by encoding: shorter values first, then UTF8String (12) before PrintableString (19), then bytes. */
function derSetOrder(a, b) {
    const [ba, bb] = [Buffer.from(a, "utf8"), Buffer.from(b, "utf8")];
    return ba.length - bb.length || (printable(a) ? 19 : 12) - (printable(b) ? 19 : 12) || Buffer.compare(ba, bb);
}

/** pkix.Name fields (arrays per field, as Go keeps them) to an x509.Name, the way Go marshals it. */
function goName(fields, emailAddress) {
    const rdns = [];
    for (const [field, oid] of NAME_FIELDS) {
        const values = (fields[field] ?? []).filter((v) => !(SINGLE.has(field) && v === ""));
        if (values.length) rdns.push({ [oid]: [...values].sort(derSetOrder).map(stringValue) });
    }
    if (!isNull(emailAddress)) rdns.push({ [OID_EMAIL]: [{ ia5String: emailAddress }] });
    return new x509.Name(rdns);
}

/** createSubjectDistinguishedNames (common_cert.go): the configured subject as pkix.Name fields. */
function subjectFields(subject) {
    const fields = {};
    for (const [field] of NAME_FIELDS) {
        const v = subject?.[field];
        if (isNull(v)) continue;
        fields[field] = Array.isArray(v) ? v : [v];
    }
    return fields;
}
/** cmp.Equal(template.Subject, pkix.Name{}): nothing set (an empty common name or serial is unset). */
const emptySubject = (fields, emailAddress) => isNull(emailAddress) && Object.entries(fields).every(([f, v]) => (SINGLE.has(f) ? v.every((x) => x === "") : v.length === 0));

/** x509.ParseCertificateRequest + FillFromRDNSequence: only string values of the nine known attributes survive. */
function parsedNameFields(name) {
    const fields = {};
    for (const rdn of name.asn) {
        for (const atv of rdn) {
            const field = FIELD_OF_OID[atv.type];
            if (!field || atv.value.anyValue) continue;
            const value = atv.value.toString();
            fields[field] = SINGLE.has(field) ? [value] : [...(fields[field] ?? []), value];
        }
    }
    return fields;
}

// ---------------------------------------------------------------- subject alternative names

/** net.ParseIP, then To4() when it is an IPv4(-mapped) address: the 4 or 16 bytes Go writes. */
function ipBytes(text) {
    const s = String(text);
    if (net.isIPv4(s)) return Buffer.from(s.split(".").map(Number));
    if (!net.isIPv6(s) || s.includes("%")) return undefined;
    const [head, tail] = new URL(`http://[${s}]`).hostname.slice(1, -1).split("::");
    const groups = (g) => (g ? g.split(":") : []);
    const all = tail === undefined ? groups(head) : [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill("0"), ...groups(tail)];
    const bytes = Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
    const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
    return mapped ? bytes.subarray(12) : bytes;
}
function ipText(bytes) {
    if (bytes.length === 4) return [...bytes].join(".");
    return Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(2 * i).toString(16)).join(":");
}
/** url.Parse's refusals that can matter here: control characters, bad escapes, a missing scheme. */
function uriError(u) {
    if (/[\x00-\x1f\x7f]/.test(u)) return "net/url: invalid control character in URL";
    const bad = u.match(/%(?![0-9A-Fa-f]{2})(.{0,2})/);
    if (bad) return `invalid URL escape "%${bad[1]}"`;
    if (u.startsWith(":")) return "missing protocol scheme";
    return undefined;
}
/** The configured SANs as Go's template holds them; errors as the resources report them. */
function configuredSans(a) {
    const ips = (a.ipAddresses ?? []).map((s) => {
        const b = ipBytes(s);
        if (!b) throw new TlsError("Invalid IP address", `Failed to parse ${JSON.stringify(s)}`);
        return b;
    });
    for (const u of a.uris ?? []) {
        const err = uriError(u);
        if (err) throw new TlsError("Invalid URI", `Failed to parse ${JSON.stringify(u)}: parse ${JSON.stringify(u)}: ${err}`);
    }
    return { dnsNames: a.dnsNames ?? [], ips, uris: a.uris ?? [] };
}
/** marshalSANs: DNS names, then IP addresses, then URIs (e-mail addresses are never set by the provider). */
function sanExtension({ dnsNames, ips, uris }, critical) {
    if (!dnsNames.length && !ips.length && !uris.length) return undefined;
    for (const s of [...dnsNames, ...uris]) {
        if (/[^\x00-\x7f]/.test(s)) throw new Error(`x509: ${JSON.stringify(s)} cannot be encoded as an IA5String`);
    }
    const names = [
        ...dnsNames.map((value) => ({ type: "dns", value })),
        ...ips.map((b) => ({ type: "ip", value: ipText(b) })),
        ...uris.map((value) => ({ type: "url", value })),
    ];
    return new x509.SubjectAlternativeNameExtension(names, critical);
}

// ---------------------------------------------------------------- certificates (common_cert.go + crypto/x509)

const KEY_USAGES = {
    digital_signature: x509.KeyUsageFlags.digitalSignature, content_commitment: x509.KeyUsageFlags.nonRepudiation,
    key_encipherment: x509.KeyUsageFlags.keyEncipherment, data_encipherment: x509.KeyUsageFlags.dataEncipherment,
    key_agreement: x509.KeyUsageFlags.keyAgreement, cert_signing: x509.KeyUsageFlags.keyCertSign,
    crl_signing: x509.KeyUsageFlags.cRLSign, encipher_only: x509.KeyUsageFlags.encipherOnly, decipher_only: x509.KeyUsageFlags.decipherOnly,
};
const EXT_KEY_USAGES = {
    any_extended: "2.5.29.37.0", server_auth: "1.3.6.1.5.5.7.3.1", client_auth: "1.3.6.1.5.5.7.3.2", code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4", ipsec_end_system: "1.3.6.1.5.5.7.3.5", ipsec_tunnel: "1.3.6.1.5.5.7.3.6", ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8", ocsp_signing: "1.3.6.1.5.5.7.3.9", microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1", microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};
const SUPPORTED_USES = [...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES)].sort();

/** time.Time.MarshalText of a time.Now() value: RFC 3339 with fractional seconds, in the local zone. */
function goTimeText(date) {
    const offsetMin = -date.getTimezoneOffset();
    const local = new Date(date.getTime() + offsetMin * 60000);
    const fraction = String(local.getUTCMilliseconds()).padStart(3, "0").replace(/0+$/, "");
    const zone = offsetMin === 0 ? "Z" : `${offsetMin > 0 ? "+" : "-"}${String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, "0")}:${String(Math.abs(offsetMin) % 60).padStart(2, "0")}`;
    return `${local.toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ""}${zone}`;
}

/** rand.Int(rand.Reader, 2^128), never zero (@peculiar/x509 would replace a zero serial). */
function serialNumber() {
    for (;;) {
        const bytes = crypto.randomBytes(16);
        if (bytes.some((b) => b)) return { hex: bytes.toString("hex"), decimal: BigInt(`0x${bytes.toString("hex")}`).toString() };
    }
}

/**
 * createCertificate (common_cert.go) followed by x509.CreateCertificate.
 *  template: { subject: x509.Name, sans }, the certificate's own fields;
 *  parent:   { subject: x509.Name, subjectKeyId?, publicKey? } (self-signed: the template itself);
 *  publicKey, signer: the certified key and the signing KeyObject.
 */
async function createCertificate(a, template, parent, publicKey, signerKey, now) {
    const notBefore = new Date(now.getTime());
    const notAfter = new Date(notBefore.getTime() + Number(a.validityPeriodHours) * HOUR);
    const serial = serialNumber();

    let keyUsage = 0;
    const extKeyUsage = [];
    for (const use of a.allowedUses ?? []) {
        if (use in KEY_USAGES) keyUsage |= KEY_USAGES[use];
        if (use in EXT_KEY_USAGES) extKeyUsage.push(EXT_KEY_USAGES[use]);
    }

    let ski;
    const isCA = a.isCaCertificate === true;
    if (isCA) {
        // RFC 5280 4.1.2.6: a CA needs a subject.
        if (template.empty) throw new TlsError("Invalid Certificate Subject", "Must contain at least one Distinguished Name when creating Certificate Authority (CA)");
        ski = subjectKeyId(publicKey);
    }
    // The template's MaxPathLen, and Go never sees MaxPathLenZero: 0 (or -1, or unset) means "no limit".
    const maxPathLen = !isNull(a.maxPathLength) && a.maxPathLength >= 0 ? Number(a.maxPathLength) : 0;
    if (a.setSubjectKeyId === true) ski = subjectKeyId(publicKey);
    const parentSki = parent === template ? ski : parent.subjectKeyId;
    let aki;
    if (a.setAuthorityKeyId === true) {
        if (!parentSki?.length) throw new TlsError("Invalid Certificate Authority", "Could not determine Authority Key Identifier");
        aki = parentSki;
    }

    // x509.CreateCertificate's own checks and defaults.
    const fail = (msg) => new TlsError("Failed to create certificate", msg);
    if (!isCA && maxPathLen !== 0) throw fail("x509: only CAs are allowed to specify MaxPathLen");
    const issuerDer = Buffer.from(parent.subject.toArrayBuffer());
    const subjectDer = Buffer.from(template.subject.toArrayBuffer());
    if (!issuerDer.equals(subjectDer) && parentSki?.length) aki = parentSki;
    if (parent.publicKey && !parent.publicKey.equals(crypto.createPublicKey(signerKey))) throw fail("x509: provided PrivateKey doesn't match parent's PublicKey");

    // buildCertExtensions order: key usage, extended key usage, basic constraints, SKI, AKI, SAN.
    let san;
    try {
        san = sanExtension(template.sans, template.empty);
    } catch (e) {
        throw fail(e.message);
    }
    const extensions = [
        keyUsage && new x509.KeyUsagesExtension(keyUsage, true),
        extKeyUsage.length && new x509.ExtendedKeyUsageExtension(extKeyUsage, false),
        new x509.BasicConstraintsExtension(isCA, maxPathLen > 0 ? maxPathLen : undefined, true),
        ski && new x509.SubjectKeyIdentifierExtension(ski.toString("hex"), false),
        aki && new x509.AuthorityKeyIdentifierExtension(aki.toString("hex"), false),
        san,
    ].filter(Boolean);

    const signer = signerFor(signerKey);
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial.hex, subject: template.subject, issuer: parent.subject, notBefore, notAfter,
        publicKey: publicKey.export({ type: "spki", format: "der" }), signingKey: signer.signingKey, signingAlgorithm: signer.algorithm, extensions,
    }, signer.crypto);
    return {
        id: serial.decimal,
        certPem: pemEncode("CERTIFICATE", cert.rawData),
        validityStartTime: goTimeText(notBefore),
        validityEndTime: goTimeText(notAfter),
    };
}

/** The plan modifier ReadyForRenewal (attribute_plan_modifier_bool): the value a create or update plans. */
function plannedReadyForRenewal(a) {
    const validity = Number(a.validityPeriodHours ?? 0);
    if (validity === 0) return true;
    return !isNull(a.earlyRenewalHours) && Number(a.earlyRenewalHours) >= validity;
}
/** modifyPlanIfCertificateReadyForRenewal / modifyStateIfCertificateReadyForRenewal: now >= end - early renewal. */
function renewalDue(validityEndTime, earlyRenewalHours, now) {
    const end = Date.parse(validityEndTime ?? "");
    if (!Number.isFinite(end) || hasUnknown(earlyRenewalHours)) return false;
    return end - Number(earlyRenewalHours ?? 0) * HOUR - now.getTime() <= 0;
}

// ---------------------------------------------------------------- resources

async function createPrivateKey(a) {
    const key = generateKey(a);
    return privateKeyAttributes(key);
}

async function createSelfSignedCert(a, { now }) {
    const { key, algorithm } = wrapParse("Failed to parse private key PEM", () => parsePrivateKeyPem(a.privateKeyPem));
    const fields = a.subject ? subjectFields(a.subject) : {};
    const email = a.subject?.emailAddress;
    const template = { subject: goName(fields, email), empty: emptySubject(fields, email), sans: configuredSans(a) };
    const cert = await createCertificate(a, template, template, crypto.createPublicKey(key), key, now);
    return { ...cert, keyAlgorithm: algorithm, readyForRenewal: plannedReadyForRenewal(a) };
}

async function createCertRequest(a) {
    const { key, algorithm } = wrapParse("Failed to parse private key PEM", () => parsePrivateKeyPem(a.privateKeyPem));
    const fields = a.subject ? subjectFields(a.subject) : {};
    const sans = configuredSans(a);
    let san;
    try {
        san = sanExtension(sans, false); // buildCSRExtensions: never critical
    } catch (e) {
        throw new TlsError("Error creating certificate request", e.message);
    }
    const signer = signerFor(key);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: goName(fields, a.subject?.emailAddress),
        keys: { privateKey: signer.signingKey, publicKey: {} },
        signingAlgorithm: signer.algorithm,
        extensions: san ? [san] : [],
    }, signer.crypto);
    const der = Buffer.from(csr.rawData);
    return { certRequestPem: pemEncode("CERTIFICATE REQUEST", der), keyAlgorithm: algorithm, id: hashForState(der) };
}

/** Stricter than the real provider: the request's own signature must verify (see the header). */
function verifyRequest(csr) {
    const alg = csr.asn.signatureAlgorithm.algorithm;
    const hash = { "1.2.840.113549.1.1.11": "sha256", "1.2.840.113549.1.1.12": "sha384", "1.2.840.113549.1.1.13": "sha512", "1.2.840.10045.4.3.2": "sha256", "1.2.840.10045.4.3.3": "sha384", "1.2.840.10045.4.3.4": "sha512", "1.3.101.112": null }[alg];
    const key = crypto.createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
    if (hash === undefined || !crypto.verify(hash, Buffer.from(csr.tbs), key, Buffer.from(csr.signature))) {
        throw new TlsError("Failed to parse certificate request PEM", "x509: certificate request signature is invalid (the real provider does not check it)");
    }
}

async function createLocallySignedCert(a, { now, warn }) {
    const csr = wrapParse("Failed to parse certificate request PEM", () => {
        const der = decodePem(a.certRequestPem, "CERTIFICATE REQUEST");
        try {
            return new x509.Pkcs10CertificateRequest(der);
        } catch (e) {
            throw new Error(`failed to parse certificate request: ${e.message}`);
        }
    });
    verifyRequest(csr);
    const { key: caKey, algorithm } = wrapParse("Failed to parse CA private key PEM", () => parsePrivateKeyPem(a.caPrivateKeyPem));
    const ca = wrapParse("Failed to parse CA certificate PEM", () => {
        const der = decodePem(a.caCertPem, "CERTIFICATE");
        try {
            return new x509.X509Certificate(der);
        } catch (e) {
            throw new Error(`failed to parse certificate: ${e.message}`);
        }
    });
    const caConstraints = ca.getExtension("2.5.29.19");
    if (!caConstraints?.ca) {
        warn?.("Potentially Invalid Certificate Authority: Certificate provided as Authority does not appear to be a valid Certificate Authority. The resulting certificate might fail certificate validation.");
    }
    // The template copies Subject (re-marshalled from the parsed pkix.Name), DNSNames, IPAddresses and URIs from the request.
    const requested = csr.getExtension("2.5.29.17")?.names.items ?? [];
    const fields = parsedNameFields(csr.subjectName);
    const template = {
        subject: goName(fields),
        empty: emptySubject(fields),
        sans: {
            dnsNames: requested.filter((n) => n.type === "dns").map((n) => n.value),
            ips: requested.filter((n) => n.type === "ip").map((n) => ipBytes(n.value)),
            uris: requested.filter((n) => n.type === "url").map((n) => n.value),
        },
    };
    const caSki = ca.getExtension("2.5.29.14");
    const parent = {
        subject: ca.subjectName,
        subjectKeyId: caSki ? Buffer.from(caSki.keyId, "hex") : undefined,
        publicKey: crypto.createPublicKey({ key: Buffer.from(ca.publicKey.rawData), format: "der", type: "spki" }),
    };
    const publicKey = crypto.createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
    const cert = await createCertificate({ ...a, setAuthorityKeyId: undefined }, template, parent, publicKey, caKey, now);
    return { ...cert, caKeyAlgorithm: algorithm, readyForRenewal: plannedReadyForRenewal(a) };
}

function wrapParse(summary, fn) {
    try {
        return fn();
    } catch (e) {
        throw e instanceof TlsError ? e : new TlsError(summary, e.message);
    }
}

// ---------------------------------------------------------------- schemas (the resources' Schema functions)

const oneOf = (values) => (name, v) => (values.includes(v) ? undefined : ["Invalid Attribute Value Match", `Attribute ${name} value must be one of: [${values.map((x) => JSON.stringify(x)).join(" ")}], got: ${JSON.stringify(v)}`]);
const atLeast = (min) => (name, v) => (v >= min ? undefined : ["Invalid Attribute Value", `Attribute ${name} value must be at least ${min}, got: ${v}`]);
const lengthAtLeast1 = (name, v) => (String(v).length >= 1 ? undefined : ["Invalid Attribute Value Length", `Attribute ${name} string length must be at least 1, got: ${String(v).length}`]);
const each = (check) => (name, list) => {
    for (const [i, v] of (list ?? []).entries()) {
        const failure = check(`${name}[${i}]`, v);
        if (failure) return failure;
    }
    return undefined;
};

/*
 * Per input: required, default (framework Default), keepsPrior (Optional+Computed with
 * UseStateForUnknown: left out, it keeps the state's value), replace (RequiresReplace; "pem":
 * requireReplaceIfStateContainsPEMString, only when the state's value is a PEM), validate.
 */
const SAN_INPUTS = {
    dnsNames: { replace: true },
    ipAddresses: { replace: true, validate: each(lengthAtLeast1) },
    uris: { replace: true, validate: each(lengthAtLeast1) },
};
const CERT_INPUTS = {
    validityPeriodHours: { required: true, replace: true, validate: atLeast(0) },
    allowedUses: { required: true, replace: true, validate: each(oneOf(SUPPORTED_USES)) },
    earlyRenewalHours: { default: 0, validate: atLeast(0) },
    isCaCertificate: { default: false, replace: true },
    maxPathLength: { keepsPrior: true, replace: true, validate: atLeast(-1) },
    setSubjectKeyId: { default: false, replace: true },
};
const TYPES = {
    "tls:index/privateKey:PrivateKey": {
        inputs: {
            algorithm: { required: true, replace: true, validate: oneOf(ALGORITHMS) },
            rsaBits: { default: 2048, replace: true },
            ecdsaCurve: { default: "P224", replace: true, validate: oneOf(Object.keys(CURVES)) },
        },
        secrets: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
        meta: { __meta: JSON.stringify({ schema_version: "1" }) },
        create: createPrivateKey,
    },
    "tls:index/selfSignedCert:SelfSignedCert": {
        inputs: {
            privateKeyPem: { required: true, replace: "pem" }, subject: { replace: true }, ...SAN_INPUTS, ...CERT_INPUTS,
            setAuthorityKeyId: { default: false, replace: true },
        },
        secrets: ["privateKeyPem"],
        certificate: true,
        create: createSelfSignedCert,
    },
    "tls:index/certRequest:CertRequest": {
        inputs: { privateKeyPem: { required: true, replace: "pem" }, subject: { replace: true }, ...SAN_INPUTS },
        secrets: ["privateKeyPem"],
        create: createCertRequest,
    },
    "tls:index/locallySignedCert:LocallySignedCert": {
        inputs: {
            certRequestPem: { required: true, replace: "pem" }, caPrivateKeyPem: { required: true, replace: "pem" },
            caCertPem: { required: true, replace: "pem" }, ...CERT_INPUTS,
        },
        secrets: ["caPrivateKeyPem"],
        certificate: true,
        create: createLocallySignedCert,
    },
};
// requireReplaceIfStateContainsPEMString's regular expression (Go RE2: `.` does not match "\n").
const PEM_STATE = /^-----BEGIN [A-Za-z ]+-----\n(.|\s)+\n-----END [A-Za-z ]+-----\n?$/;
const PROVIDER_TYPE = "pulumi:providers:tls";

const typeOf = (urn) => urn.split("::")[2].split("$").pop();
function schemaOf(type) {
    const s = TYPES[type];
    if (!s) throw new Error(`tls stand-in: unsupported resource type ${type}`);
    return s;
}

/** Validators and required attributes (ValidateResourceConfig): check failures. */
function checkInputs(type, news) {
    const s = schemaOf(type);
    const v = unwrap(news);
    const failures = [];
    for (const [name, attr] of Object.entries(s.inputs)) {
        const value = v[name];
        if (hasUnknown(value)) continue;
        if (isNull(value)) {
            if (attr.required) failures.push({ property: name, reason: `Missing required property '${name}'` });
            continue;
        }
        const failure = attr.validate?.(snake(name), value);
        if (failure) failures.push({ property: name, reason: `${failure[0]}: ${failure[1]}` });
    }
    return failures;
}

/**
 * The plan the framework makes for new inputs against a prior state (PlanResourceChange, as
 * the bridge calls it for Diff): planned inputs, RequiresReplace and the changed attributes.
 */
function planChange(type, olds, news, now) {
    const s = schemaOf(type);
    const prior = unwrap(olds ?? {});
    const config = unwrap(news);
    const planned = {};
    const replaces = [];
    const changed = [];
    for (const [name, attr] of Object.entries(s.inputs)) {
        let value = config[name];
        if (isNull(value)) value = attr.default !== undefined ? attr.default : attr.keepsPrior ? prior[name] : undefined;
        planned[name] = value;
        if (olds === undefined || (!hasUnknown(value) && sameValue(value, prior[name]))) continue;
        changed.push(name);
        if (attr.replace === true || (attr.replace === "pem" && PEM_STATE.test(String(prior[name] ?? "")))) replaces.push(name);
    }
    if (s.certificate) {
        planned.readyForRenewal = plannedReadyForRenewal(planned);
        if (olds !== undefined && renewalDue(prior.validityEndTime, planned.earlyRenewalHours, now)) {
            planned.readyForRenewal = UNKNOWN;
            replaces.push("readyForRenewal");
        }
        if (olds !== undefined && !sameValue(planned.readyForRenewal, prior.readyForRenewal)) changed.push("readyForRenewal");
    }
    return { planned, replaces, changed };
}

/** Outputs as the bridge returns state: nulls dropped (also inside the subject), the schema's secrets wrapped. */
function toOutputs(s, values) {
    const out = {};
    for (const [k, v] of Object.entries(values)) {
        if (isNull(v)) continue;
        const value = v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => !isNull(x))) : v;
        out[k] = s.secrets.includes(k) ? secret(value) : value;
    }
    return out;
}

class TlsProvider {
    /** @param options now(): the clock; warn(urn, message): a warning diagnostic (default: the engine log). */
    constructor(options = {}) {
        this.version = VERSION;
        this.now = options.now ?? (() => new Date());
        this.warn = options.warn ?? engineWarning;
    }
    async check(urn, olds, news) {
        const type = typeOf(urn);
        if (type === PROVIDER_TYPE) return { inputs: news };
        const s = schemaOf(type);
        const inputs = { ...news };
        for (const k of s.secrets) if (!isNull(inputs[k]) && !isSecret(inputs[k]) && k in s.inputs) inputs[k] = secret(inputs[k]);
        return { inputs, failures: checkInputs(type, news) };
    }
    async diff(id, urn, olds, news) {
        const type = typeOf(urn);
        if (type === PROVIDER_TYPE) return { changes: false };
        const { replaces, changed } = planChange(type, olds, news, this.now());
        return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
    }
    async create(urn, inputs) {
        const s = schemaOf(typeOf(urn));
        const { planned } = planChange(typeOf(urn), undefined, inputs, this.now());
        const computed = await s.create(planned, { now: this.now(), warn: (message) => this.warn(urn, message) });
        return { id: computed.id, outs: toOutputs(s, { ...s.meta, ...planned, ...computed }) };
    }
    /** Read: certificates become readyForRenewal once due (modifyStateIfCertificateReadyForRenewal); keys and requests are state only. */
    async read(id, urn, props) {
        const s = schemaOf(typeOf(urn));
        const state = unwrap(props);
        if (s.certificate && renewalDue(state.validityEndTime, state.earlyRenewalHours, this.now())) return { id, props: { ...props, readyForRenewal: true } };
        return { id, props };
    }
    /** Update (only earlyRenewalHours can change in place): updatedUsingPlan, the plan becomes the state. */
    async update(id, urn, olds, news) {
        const s = schemaOf(typeOf(urn));
        const { planned } = planChange(typeOf(urn), olds, news, this.now());
        const state = { ...unwrap(olds), ...planned };
        for (const k of Object.keys(s.inputs)) if (isNull(planned[k])) delete state[k];
        return { outs: toOutputs(s, state) };
    }
    async delete() {}
}

// ---------------------------------------------------------------- warnings to the engine

let engineClient;
/** Logs a warning diagnostic for urn through the engine's Log service (the address is the plugin's argument). */
function engineWarning(urn, message) {
    try {
        if (!engineClient) {
            const address = requireFromRepo("@pulumi/pulumi/provider/internals").parseArgs(process.argv.slice(2))?.engineAddress;
            if (!address) throw new Error("no engine address");
            const grpc = requireFromRepo("@grpc/grpc-js");
            const engrpc = requireFromRepo("@pulumi/pulumi/proto/engine_grpc_pb.js");
            engineClient = new engrpc.EngineClient(address, grpc.credentials.createInsecure());
        }
        const engproto = requireFromRepo("@pulumi/pulumi/proto/engine_pb.js");
        const req = new engproto.LogRequest();
        req.setSeverity(engproto.LogSeverity.WARNING);
        req.setMessage(message);
        req.setUrn(urn);
        engineClient.log(req, () => {});
    } catch {
        console.error(`warning: ${message}`);
    }
}

if (require.main === module) requireFromRepo("@pulumi/pulumi/provider").main(new TlsProvider(), process.argv.slice(2));

module.exports = {
    TlsProvider, TlsError, TYPES, UNKNOWN, checkInputs, planChange, secret, unwrap,
    createPrivateKey, createSelfSignedCert, createCertRequest, createLocallySignedCert,
    privateKeyAttributes, parsePrivateKeyPem, subjectKeyId, goTimeText, hashForState, x509,
};
