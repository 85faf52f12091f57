/**
 * What counts as a credential in a property value: by content (a PEM private key, a kubeconfig, a bearer token
 * in JWT form, as ServiceAccount tokens are), also once base64-decoded (Kubernetes Secret `data`, kubeconfig
 * `*-data` fields), or by the name of the key that holds it (`token`, `password`, `client-key-data`, `ca-key.pem`,
 * `privateKeyPem`, …). Certificates and CA bundles are public and do not count.
 */
import { isUnknown } from "./secrets";

export type CredentialKind = "a private key" | "a kubeconfig" | "a bearer token" | "a credential";

const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
// A JWT: header and payload are base64url JSON objects, `{"` encodes as `eyJ`.
const JWT = /(^|[^A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
// kind: Config (YAML or JSON) and a clusters/users list, as every kubeconfig has.
const KUBECONFIG_KIND = /(^|[\n{,])\s*"?kind"?\s*:\s*"?Config"?\s*($|[\n,}])/;
const KUBECONFIG_LISTS = /(^|[\n{,])\s*"?(clusters|users|contexts)"?\s*:/;
/** Keys whose non-empty string values are credentials whatever they look like. */
const CREDENTIAL_KEY = /^(token|password|passwd|secret|client-secret|clientsecret|client-key-data|tls\.key|key\.pem|[a-z0-9-]+-key\.pem)$|private.?key/i;
const BASE64 = /^[A-Za-z0-9+/]{16,}={0,2}$/;

function byContent(text: string): CredentialKind | undefined {
    if (PRIVATE_KEY.test(text)) return "a private key";
    if (KUBECONFIG_KIND.test(text) && KUBECONFIG_LISTS.test(text)) return "a kubeconfig";
    if (JWT.test(text)) return "a bearer token";
    return undefined;
}

/** The text a base64 value encodes, when it is printable text. */
function decoded(value: string): string | undefined {
    const s = value.replace(/\s+/g, "");
    if (s.length % 4 !== 0 || !BASE64.test(s)) return undefined;
    const text = Buffer.from(s, "base64").toString("utf8");
    // Binary data (a DER certificate, random bytes) is not text: no credential by content there.
    const printable = text.replace(/[^\t\n\r\x20-\x7e]/g, "").length;
    return printable >= text.length * 0.95 ? text : undefined;
}

/** The kind of credential `value` (held by `key`) is, if it is one. */
export function credentialIn(key: string, value: unknown): CredentialKind | undefined {
    if (typeof value !== "string" || value === "" || isUnknown(value)) return undefined;
    const text = decoded(value);
    return byContent(value) ?? (text !== undefined ? byContent(text) : undefined) ?? (CREDENTIAL_KEY.test(key) ? "a credential" : undefined);
}
