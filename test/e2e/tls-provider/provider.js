#!/usr/bin/env node
/*
 * A local stand-in for the `tls` resource provider plugin (pulumi-tls 5.x), for the local e2e
 * stack only. The real plugin cannot be built here (the Go proxy refuses every
 * github.com/pulumi/pulumi-tls/provider/v5 version; see scripts/toolchain/versions.env).
 *
 * It implements the resources the mesh program uses with the same property names and
 * semantics as the Terraform tls provider: PrivateKey, SelfSignedCert, CertRequest,
 * LocallySignedCert (and the explicit Provider, which needs no configuration). X.509 and
 * PKCS#10 are DER-encoded here and signed with Node's crypto; results are checked by openssl
 * in test/e2e/run.sh.
 */
"use strict";
const crypto = require("crypto");
const path = require("path");

function requirePulumi() {
    // Resolve @pulumi/pulumi from the repository's node_modules (two levels up from test/e2e).
    const candidates = [process.env.MESH_REPO, path.resolve(__dirname, "../../..")].filter(Boolean);
    for (const c of candidates) {
        try {
            return require(require.resolve("@pulumi/pulumi/provider", { paths: [c] }));
        } catch (_) { /* next */ }
    }
    return require("@pulumi/pulumi/provider");
}
const provider = requirePulumi();

const VERSION = process.env.MESH_TLS_SHIM_VERSION || "5.5.1";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VAL = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

// ---------------------------------------------------------------- secrets
const isSecret = (v) => v !== null && typeof v === "object" && v[SECRET_SIG] === SECRET_VAL;
const unwrap = (v) => {
    if (isSecret(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
};
const secret = (value) => ({ [SECRET_SIG]: SECRET_VAL, value });
const hasUnknown = (v) => v === UNKNOWN || (Array.isArray(v) ? v.some(hasUnknown) : v !== null && typeof v === "object" ? Object.values(v).some(hasUnknown) : false);

// ---------------------------------------------------------------- DER
function len(n) {
    if (n < 0x80) return Buffer.from([n]);
    const bytes = [];
    while (n > 0) { bytes.unshift(n & 0xff); n >>= 8; }
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag, ...content) => { const c = Buffer.concat(content); return Buffer.concat([Buffer.from([tag]), len(c.length), c]); };
const seq = (...c) => tlv(0x30, ...c);
const set = (...c) => tlv(0x31, ...c);
const bool = (b) => tlv(0x01, Buffer.from([b ? 0xff : 0]));
const nul = () => Buffer.from([0x05, 0x00]);
function intBuf(buf) {
    let i = 0;
    while (i < buf.length - 1 && buf[i] === 0 && !(buf[i + 1] & 0x80)) i++;
    buf = buf.subarray(i);
    if (buf[0] & 0x80) buf = Buffer.concat([Buffer.from([0]), buf]);
    return tlv(0x02, buf);
}
const int = (n) => { const hex = n.toString(16); return intBuf(Buffer.from((hex.length % 2 ? "0" : "") + hex, "hex")); };
function oid(s) {
    const p = s.split(".").map(Number);
    const out = [40 * p[0] + p[1]];
    for (const n of p.slice(2)) {
        const b = [n & 0x7f];
        let v = Math.floor(n / 128);
        while (v > 0) { b.unshift((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
        out.push(...b);
    }
    return tlv(0x06, Buffer.from(out));
}
const utf8 = (s) => tlv(0x0c, Buffer.from(s, "utf8"));
const printable = (s) => tlv(0x13, Buffer.from(s, "ascii"));
const ia5 = (s) => tlv(0x16, Buffer.from(s, "ascii"));
const octets = (b) => tlv(0x04, b);
const bits = (b, unused = 0) => tlv(0x03, Buffer.from([unused]), b);
const explicit = (n, ...c) => tlv(0xa0 + n, ...c);
function time(d) {
    const iso = d.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:T]/g, "");
    return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), "ascii")) : tlv(0x18, Buffer.from(iso, "ascii"));
}

/** Minimal DER reader: returns {tag, header, content, raw, end}. */
function read(buf, off = 0) {
    const tag = buf[off];
    let l = buf[off + 1], hl = 2;
    if (l & 0x80) {
        const n = l & 0x7f;
        l = 0;
        for (let i = 0; i < n; i++) l = l * 256 + buf[off + 2 + i];
        hl = 2 + n;
    }
    return { tag, content: buf.subarray(off + hl, off + hl + l), raw: buf.subarray(off, off + hl + l), end: off + hl + l };
}
function children(buf) {
    const out = [];
    for (let off = 0; off < buf.length;) { const e = read(buf, off); out.push(e); off = e.end; }
    return out;
}
function oidString(content) {
    const parts = [Math.floor(content[0] / 40), content[0] % 40];
    let v = 0;
    for (const b of content.subarray(1)) { v = v * 128 + (b & 0x7f); if (!(b & 0x80)) { parts.push(v); v = 0; } }
    return parts.join(".");
}

// ---------------------------------------------------------------- X.509 pieces
const NAME_OIDS = [
    ["country", "2.5.4.6", printable],
    ["organization", "2.5.4.10", utf8],
    ["organizationalUnit", "2.5.4.11", utf8],
    ["locality", "2.5.4.7", utf8],
    ["province", "2.5.4.8", utf8],
    ["streetAddresses", "2.5.4.9", utf8],
    ["postalCode", "2.5.4.17", utf8],
    ["serialNumber", "2.5.4.5", printable],
    ["commonName", "2.5.4.3", utf8],
];
/** The subject in Go's pkix.Name.ToRDNSequence order (what the Terraform provider produces). */
function name(subject) {
    const rdns = [];
    for (const [key, o, enc] of NAME_OIDS) {
        const v = subject?.[key];
        for (const s of Array.isArray(v) ? v : v ? [v] : []) rdns.push(set(seq(oid(o), enc(s))));
    }
    if (subject?.emailAddress) rdns.push(set(seq(oid("1.2.840.113549.1.9.1"), ia5(subject.emailAddress))));
    return seq(...rdns);
}

const KEY_USAGE_BITS = {
    digital_signature: 0, content_commitment: 1, key_encipherment: 2, data_encipherment: 3, key_agreement: 4,
    cert_signing: 5, crl_signing: 6, encipher_only: 7, decipher_only: 8,
};
const EXT_KEY_USAGE = {
    any_extended: "2.5.29.37.0", server_auth: "1.3.6.1.5.5.7.3.1", client_auth: "1.3.6.1.5.5.7.3.2", code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4", ipsec_end_system: "1.3.6.1.5.5.7.3.5", ipsec_tunnel: "1.3.6.1.5.5.7.3.6", ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8", ocsp_signing: "1.3.6.1.5.5.7.3.9", microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1", microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22", microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

function keyUsage(uses) {
    let v = 0;
    for (const u of uses) if (u in KEY_USAGE_BITS) v |= 1 << KEY_USAGE_BITS[u];
    if (v === 0) return undefined;
    // BIT STRING, most significant bit first, trailing zero bits trimmed (Go's encoding).
    const bytes = v > 0xff ? [reverse8(v & 0xff), reverse8(v >> 8)] : [reverse8(v)];
    const last = bytes[bytes.length - 1];
    let unused = 0;
    while (unused < 8 && !(last & (1 << unused))) unused++;
    return ext("2.5.29.15", true, bits(Buffer.from(bytes), unused));
}
function reverse8(b) { let r = 0; for (let i = 0; i < 8; i++) if (b & (1 << i)) r |= 1 << (7 - i); return r; }
function extKeyUsage(uses) {
    const oids = uses.filter((u) => u in EXT_KEY_USAGE).map((u) => oid(EXT_KEY_USAGE[u]));
    return oids.length ? ext("2.5.29.37", false, seq(...oids)) : undefined;
}
function ext(o, critical, value) { return seq(oid(o), ...(critical ? [bool(true)] : []), octets(value)); }
function ipBytes(ip) {
    if (ip.includes(":")) {
        const [head, tail] = ip.split("::");
        const h = head ? head.split(":") : [], t = tail !== undefined && tail ? tail.split(":") : [];
        const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
        return Buffer.from(groups.flatMap((g) => { const n = parseInt(g || "0", 16); return [n >> 8, n & 0xff]; }));
    }
    return Buffer.from(ip.split(".").map(Number));
}
function sanExt(a) {
    const names = [
        ...(a.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, "ascii"))),
        ...(a.uris ?? []).map((u) => tlv(0x86, Buffer.from(u, "ascii"))),
        ...(a.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
    ];
    return names.length ? ext("2.5.29.17", false, seq(...names)) : undefined;
}

function keyInfo(privateKeyPem) {
    const key = crypto.createPrivateKey(privateKeyPem);
    const spki = crypto.createPublicKey(key).export({ type: "spki", format: "der" });
    const type = key.asymmetricKeyType;
    let algorithm, sigAlg, hash;
    if (type === "ec") {
        algorithm = "ECDSA";
        const curve = key.asymmetricKeyDetails.namedCurve;
        hash = curve === "secp384r1" ? "sha384" : curve === "secp521r1" ? "sha512" : "sha256";
        sigAlg = seq(oid({ sha256: "1.2.840.10045.4.3.2", sha384: "1.2.840.10045.4.3.3", sha512: "1.2.840.10045.4.3.4" }[hash]));
    } else if (type === "rsa") {
        algorithm = "RSA";
        hash = "sha256";
        sigAlg = seq(oid("1.2.840.113549.1.1.11"), nul());
    } else if (type === "ed25519") {
        algorithm = "ED25519";
        hash = null;
        sigAlg = seq(oid("1.3.101.112"));
    } else throw new Error(`unsupported key type ${type}`);
    // Subject key id: SHA-1 of the subjectPublicKey BIT STRING's bytes (RFC 5280 method 1, as Go does).
    const pubBits = children(read(spki).content)[1].content.subarray(1);
    const ski = crypto.createHash("sha1").update(pubBits).digest();
    return { key, spki, algorithm, sigAlg, hash, ski };
}
function sign(info, tbs) {
    return crypto.sign(info.hash, tbs, info.key);
}
const pem = (label, der) => `-----BEGIN ${label}-----\n${der.toString("base64").match(/.{1,64}/g).join("\n")}\n-----END ${label}-----\n`;
const unpem = (text) => Buffer.from(text.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");

function certificate({ subjectName, issuerName, spki, signer, args, authorityKeyId, subjectKeyId }) {
    const hours = Number(args.validityPeriodHours);
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
    const notAfter = new Date(notBefore.getTime() + hours * 3600 * 1000);
    const uses = args.allowedUses ?? [];
    const exts = [keyUsage(uses), extKeyUsage(uses)];
    if (args.isCaCertificate) {
        const maxPath = args.maxPathLength;
        const pathLen = maxPath !== undefined && maxPath !== null && Number(maxPath) >= 0 ? [int(BigInt(maxPath))] : [];
        exts.push(ext("2.5.29.19", true, seq(bool(true), ...pathLen)));
    } else {
        exts.push(ext("2.5.29.19", true, seq()));
    }
    if (subjectKeyId) exts.push(ext("2.5.29.14", false, octets(subjectKeyId)));
    if (authorityKeyId) exts.push(ext("2.5.29.35", false, seq(tlv(0x80, authorityKeyId))));
    exts.push(args.san);
    const present = exts.filter(Boolean);
    const serial = BigInt("0x" + crypto.randomBytes(16).toString("hex")) >> 1n;
    const tbs = seq(
        explicit(0, int(2n)),
        int(serial === 0n ? 1n : serial),
        signer.sigAlg,
        issuerName,
        seq(time(notBefore), time(notAfter)),
        subjectName,
        spki,
        ...(present.length ? [explicit(3, seq(...present))] : []),
    );
    const der = seq(tbs, signer.sigAlg, bits(sign(signer, tbs)));
    return {
        certPem: pem("CERTIFICATE", der),
        validityStartTime: notBefore.toISOString().replace(/\.\d+Z$/, "Z"),
        validityEndTime: notAfter.toISOString().replace(/\.\d+Z$/, "Z"),
        readyForRenewal: false,
    };
}

/** Parsed pieces of a DER certificate: raw subject Name and subject key id. */
function parseCert(certPem) {
    const tbs = children(read(unpem(certPem)).content)[0];
    const f = children(tbs.content);
    const i = f[0].tag === 0xa0 ? 1 : 0;
    const subject = f[i + 4].raw;
    let ski;
    const extsField = f.find((x) => x.tag === 0xa3);
    if (extsField) {
        for (const e of children(read(extsField.content).content)) {
            const parts = children(e.content);
            if (oidString(parts[0].content) === "2.5.29.14") ski = read(parts[parts.length - 1].content).content;
        }
    }
    return { subject, ski };
}
/** Parsed pieces of a PKCS#10 request: raw subject Name, SPKI and the requested SANs. */
function parseCsr(csrPem) {
    const der = unpem(csrPem);
    const top = children(read(der).content);
    const info = children(top[0].content);
    const subject = info[1].raw, spki = info[2].raw;
    // Verify the request's own signature, as Go's CheckSignature does.
    const pub = crypto.createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
    const algo = oidString(children(top[1].content)[0].content);
    const hash = { "1.2.840.10045.4.3.2": "sha256", "1.2.840.10045.4.3.3": "sha384", "1.2.840.10045.4.3.4": "sha512", "1.2.840.113549.1.1.11": "sha256", "1.3.101.112": null }[algo];
    if (hash === undefined) throw new Error(`unsupported CSR signature algorithm ${algo}`);
    if (!crypto.verify(hash, top[0].raw, pub, top[2].content.subarray(1))) throw new Error("certificate request signature is invalid");
    let san;
    const attrs = info.find((x) => x.tag === 0xa0);
    if (attrs) {
        for (const attr of children(attrs.content)) {
            const [t, values] = children(attr.content);
            if (oidString(t.content) !== "1.2.840.113549.1.9.14") continue;
            for (const e of children(read(values.content).content)) {
                const parts = children(e.content);
                if (oidString(parts[0].content) === "2.5.29.17") san = Buffer.from(e.raw);
            }
        }
    }
    return { subject: Buffer.from(subject), spki: Buffer.from(spki), san };
}

// ---------------------------------------------------------------- SSH encodings of public keys
function sshString(b) { const l = Buffer.alloc(4); l.writeUInt32BE(b.length); return Buffer.concat([l, b]); }
function mpint(b) { let i = 0; while (i < b.length - 1 && b[i] === 0) i++; b = b.subarray(i); if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]); return sshString(b); }
function sshPublicKey(key) {
    const jwk = crypto.createPublicKey(key).export({ format: "jwk" });
    const b = (s) => Buffer.from(s, "base64url");
    if (jwk.kty === "RSA") {
        const blob = Buffer.concat([sshString(Buffer.from("ssh-rsa")), mpint(b(jwk.e)), mpint(b(jwk.n))]);
        return { type: "ssh-rsa", blob };
    }
    if (jwk.kty === "EC") {
        const curve = { "P-256": "nistp256", "P-384": "nistp384", "P-521": "nistp521" }[jwk.crv];
        if (!curve) return undefined;
        const type = `ecdsa-sha2-${curve}`;
        const point = Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]);
        return { type, blob: Buffer.concat([sshString(Buffer.from(type)), sshString(Buffer.from(curve)), sshString(point)]) };
    }
    if (jwk.kty === "OKP") return { type: "ssh-ed25519", blob: Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(b(jwk.x))]) };
    return undefined;
}

// ---------------------------------------------------------------- resources
const CURVES = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };

function createPrivateKey(a) {
    const algorithm = a.algorithm;
    let key;
    if (algorithm === "RSA") key = crypto.generateKeyPairSync("rsa", { modulusLength: Number(a.rsaBits ?? 2048) }).privateKey;
    else if (algorithm === "ECDSA") key = crypto.generateKeyPairSync("ec", { namedCurve: CURVES[a.ecdsaCurve ?? "P224"] }).privateKey;
    else if (algorithm === "ED25519") key = crypto.generateKeyPairSync("ed25519").privateKey;
    else throw new Error(`algorithm must be RSA, ECDSA or ED25519 (got ${algorithm})`);
    const privateKeyPem = algorithm === "RSA" ? key.export({ type: "pkcs1", format: "pem" }) : algorithm === "ECDSA" ? key.export({ type: "sec1", format: "pem" }) : key.export({ type: "pkcs8", format: "pem" });
    const ssh = sshPublicKey(key);
    const out = {
        algorithm,
        ecdsaCurve: algorithm === "ECDSA" ? (a.ecdsaCurve ?? "P224") : (a.ecdsaCurve ?? "P224"),
        rsaBits: algorithm === "RSA" ? Number(a.rsaBits ?? 2048) : Number(a.rsaBits ?? 2048),
        privateKeyPem: secret(privateKeyPem),
        privateKeyPemPkcs8: secret(key.export({ type: "pkcs8", format: "pem" })),
        privateKeyOpenssh: secret(""),
        publicKeyPem: crypto.createPublicKey(key).export({ type: "spki", format: "pem" }),
        publicKeyOpenssh: ssh ? `${ssh.type} ${ssh.blob.toString("base64")}\n` : "",
        publicKeyFingerprintMd5: ssh ? crypto.createHash("md5").update(ssh.blob).digest("hex").match(/../g).join(":") : "",
        publicKeyFingerprintSha256: ssh ? "SHA256:" + crypto.createHash("sha256").update(ssh.blob).digest("base64").replace(/=+$/, "") : "",
    };
    return out;
}

function createSelfSigned(a) {
    const info = keyInfo(a.privateKeyPem);
    const subjectName = name(a.subject);
    const c = certificate({
        subjectName, issuerName: subjectName, spki: info.spki, signer: info,
        args: { ...a, san: sanExt(a) },
        subjectKeyId: a.isCaCertificate || a.setSubjectKeyId ? info.ski : undefined,
        authorityKeyId: a.setAuthorityKeyId ? info.ski : undefined,
    });
    return { ...c, keyAlgorithm: info.algorithm };
}

function createCertRequest(a) {
    const info = keyInfo(a.privateKeyPem);
    const san = sanExt(a);
    const attrs = san ? [seq(oid("1.2.840.113549.1.9.14"), set(seq(san)))] : [];
    const reqInfo = seq(int(0n), name(a.subject), info.spki, tlv(0xa0, ...attrs));
    const der = seq(reqInfo, info.sigAlg, bits(sign(info, reqInfo)));
    return { certRequestPem: pem("CERTIFICATE REQUEST", der), keyAlgorithm: info.algorithm };
}

function createLocallySigned(a) {
    const csr = parseCsr(a.certRequestPem);
    const ca = parseCert(a.caCertPem);
    const signer = keyInfo(a.caPrivateKeyPem);
    const childSki = crypto.createHash("sha1").update(children(read(csr.spki).content)[1].content.subarray(1)).digest();
    const c = certificate({
        subjectName: csr.subject, issuerName: Buffer.from(ca.subject), spki: csr.spki, signer,
        args: { ...a, san: csr.san },
        subjectKeyId: a.isCaCertificate || a.setSubjectKeyId ? childSki : undefined,
        authorityKeyId: ca.ski,
    });
    return { ...c, caKeyAlgorithm: signer.algorithm };
}

const TYPES = {
    "tls:index/privateKey:PrivateKey": { create: createPrivateKey, inputs: ["algorithm", "ecdsaCurve", "rsaBits"] },
    "tls:index/selfSignedCert:SelfSignedCert": {
        create: createSelfSigned,
        inputs: ["privateKeyPem", "subject", "validityPeriodHours", "allowedUses", "dnsNames", "ipAddresses", "uris", "isCaCertificate", "maxPathLength", "setSubjectKeyId", "setAuthorityKeyId", "earlyRenewalHours"],
    },
    "tls:index/certRequest:CertRequest": { create: createCertRequest, inputs: ["privateKeyPem", "subject", "dnsNames", "ipAddresses", "uris"] },
    "tls:index/locallySignedCert:LocallySignedCert": {
        create: createLocallySigned,
        inputs: ["certRequestPem", "caPrivateKeyPem", "caCertPem", "validityPeriodHours", "allowedUses", "isCaCertificate", "maxPathLength", "setSubjectKeyId", "earlyRenewalHours"],
    },
};
// Schema defaults: a missing input equals its default when diffing.
const DEFAULTS = { ecdsaCurve: "P224", rsaBits: 2048, isCaCertificate: false, setSubjectKeyId: false, setAuthorityKeyId: false, earlyRenewalHours: 0 };
// Attributes the Terraform provider can change in place; everything else forces replacement.
const UPDATABLE = new Set(["earlyRenewalHours"]);

const typeOf = (urn) => urn.split("::")[2].split("$").pop();
function spec(urn) {
    const t = TYPES[typeOf(urn)];
    if (!t) throw new Error(`tls stand-in: unsupported resource type ${typeOf(urn)}`);
    return t;
}
/** The outputs: inputs as given (secrets stay secret) plus computed attributes. */
function outputs(t, news, computed) {
    const out = {};
    for (const k of t.inputs) if (news[k] !== undefined) out[k] = news[k];
    return { ...out, ...computed };
}
const same = (a, b) => JSON.stringify(canon(unwrap(a))) === JSON.stringify(canon(unwrap(b)));
function canon(v) {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().filter((k) => v[k] !== undefined && v[k] !== null && !(Array.isArray(v[k]) && v[k].length === 0)).map((k) => [k, canon(v[k])]));
    return v;
}
function renewalDue(olds) {
    const end = Date.parse(olds.validityEndTime ?? "");
    const early = Number(unwrap(olds.earlyRenewalHours) ?? 0);
    return Number.isFinite(end) && Date.now() >= end - early * 3600 * 1000;
}

class TlsProvider {
    constructor() { this.version = VERSION; }
    async check(urn, olds, news) {
        if (typeOf(urn) === "pulumi:providers:tls") return { inputs: news };
        const t = spec(urn);
        const failures = [];
        const v = unwrap(news);
        if (typeOf(urn) === "tls:index/privateKey:PrivateKey" && v.algorithm !== UNKNOWN && !["RSA", "ECDSA", "ED25519"].includes(v.algorithm)) failures.push({ property: "algorithm", reason: "must be one of RSA, ECDSA, ED25519" });
        if (t.inputs.includes("validityPeriodHours") && v.validityPeriodHours === undefined) failures.push({ property: "validityPeriodHours", reason: "required" });
        for (const u of v.allowedUses ?? []) if (u !== UNKNOWN && !(u in KEY_USAGE_BITS) && !(u in EXT_KEY_USAGE)) failures.push({ property: "allowedUses", reason: `unknown use ${u}` });
        return { inputs: news, failures };
    }
    async diff(id, urn, olds, news) {
        if (typeOf(urn) === "pulumi:providers:tls") return { changes: false };
        const t = spec(urn);
        const changed = t.inputs.filter((k) => hasUnknown(news[k]) || !same(olds[k] ?? DEFAULTS[k], news[k] ?? DEFAULTS[k]));
        const replaces = changed.filter((k) => !UPDATABLE.has(k));
        if (olds.validityEndTime && renewalDue({ ...olds, earlyRenewalHours: news.earlyRenewalHours })) replaces.push("readyForRenewal");
        return { changes: changed.length > 0 || replaces.length > 0, replaces, deleteBeforeReplace: false };
    }
    async create(urn, inputs) {
        const t = spec(urn);
        const computed = t.create(unwrap(inputs));
        return { id: crypto.randomBytes(16).toString("hex"), outs: outputs(t, inputs, computed) };
    }
    async read(id, urn, props) {
        return { id, props };
    }
    async update(id, urn, olds, news) {
        const t = spec(urn);
        const computed = {};
        for (const k of Object.keys(olds)) if (!t.inputs.includes(k)) computed[k] = olds[k];
        return { outs: outputs(t, news, computed) };
    }
    async delete() {}
}

if (require.main === module) provider.main(new TlsProvider(), process.argv.slice(2));
module.exports = { TlsProvider, createPrivateKey, createSelfSigned, createCertRequest, createLocallySigned };
