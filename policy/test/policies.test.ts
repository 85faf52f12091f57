/**
 * The pack's policies one by one, on resources shaped as this program registers them (see test/policy.test.ts
 * for the whole program under mocks). Keys, tokens and kubeconfigs are made here at test time.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { credentialIn } from "../credentials";
import { policies, TYPES } from "../policies";
import { leaves } from "../secrets";
import { mandatory, runPolicies, sdkProps, secret, TestResource, UNKNOWN_STRING, Violation } from "./harness";

const privateKeyPem = () => crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
const jwt = () => `${b64url({ alg: "RS256", kid: crypto.randomUUID() })}.${b64url({ iss: "kubernetes/serviceaccount", sub: "system:serviceaccount:istio-system:istio-reader-service-account" })}.${crypto.randomBytes(32).toString("base64url")}`;
const kubeconfig = (user: Record<string, unknown>) =>
    ["apiVersion: v1", "kind: Config", "clusters:", "- name: c2", "  cluster: {server: 'https://c2.example:6443'}", "users:", "- name: c2", `  user: ${JSON.stringify(user)}`, "contexts: []", "current-context: c2"].join("\n");
const b64 = (s: string) => Buffer.from(s).toString("base64");

const k8s = (type: string, name: string, props: Record<string, unknown>, provider = "mesh-c1-k8s"): TestResource => ({ type, name, props, provider });
const release = (name: string, chart: string, extra: Record<string, unknown> = {}, provider = "mesh-c1-k8s") =>
    k8s(TYPES.release, name, { chart, version: "1.30.3", repositoryOpts: { repo: "https://istio-release.storage.googleapis.com/charts" }, values: {}, ...extra }, provider);
const istiod = (provider = "mesh-c1-k8s", values: Record<string, unknown> = { global: { tag: "1.30.3" } }) => release(`${provider}-istiod`, "istiod", { values }, provider);
const strictPeerAuthentication = (provider = "mesh-c1-k8s", spec: Record<string, unknown> = { mtls: { mode: "STRICT" } }, namespace = "istio-system") =>
    k8s("kubernetes:security.istio.io/v1:PeerAuthentication", `${provider}-mtls`, { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace }, spec }, provider);

async function violationsOf(policy: string, resources: TestResource[], config = {}): Promise<Violation[]> {
    return (await runPolicies(policies, resources, config)).filter((v) => v.policy === policy);
}
const messages = (vs: Violation[]) => vs.map((v) => v.message);

describe("the pack", () => {
    test("names are unique; every policy is described; all are mandatory but the advisory endpoint check", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        for (const p of policies) expect(p.description.length).toBeGreaterThan(20);
        expect(policies.filter((p) => p.enforcementLevel !== undefined).map((p) => [p.name, p.enforcementLevel])).toEqual([["api-endpoints-restricted", "advisory"]]);
    });

    test("per-environment configs name only the pack's policies and settings their schemas declare; staging and prod relax nothing", () => {
        const dir = path.join(__dirname, "..", "config");
        const configs = Object.fromEntries(fs.readdirSync(dir).map((f) => [f.replace(/\.json$/, ""), JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))]));
        expect(Object.keys(configs).sort()).toEqual(["dev", "local", "prod", "staging"]);
        for (const config of Object.values(configs)) {
            for (const [name, settings] of Object.entries(config as Record<string, Record<string, unknown>>)) {
                const policy = policies.find((p) => p.name === name);
                expect(policy).toBeDefined();
                for (const [key, value] of Object.entries(settings)) {
                    if (key === "enforcementLevel") continue;
                    expect(policy!.configSchema?.properties[key]?.type).toBe(typeof value);
                }
            }
        }
        for (const env of ["staging", "prod"]) {
            expect(configs[env]["root-ca-protected"].allowUnprotected).toBe(false);
            expect(configs[env]["istio-version-pinned"].requireChartRepository).toBe(true);
            expect(configs[env]["admin-kubeconfigs-not-exported"].allow).toBe(false);
            expect(JSON.stringify(configs[env])).not.toMatch(/"(advisory|disabled)"/);
        }
    });
});

describe("what policies see", () => {
    test("secret markers survive the SDK's deserialization; plain reads still see values", () => {
        const props = sdkProps({ data: { c2: secret("a2luZA==") }, type: "Opaque" });
        expect((props.data as Record<string, string>).c2).toBe("a2luZA==");
        expect([...leaves(props)].map((l) => [l.path, l.secret])).toEqual([
            ["data.c2", true],
            ["type", false],
        ]);
    });

    test("credentials by content (also base64), by key; certificates and unknowns are not", () => {
        const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        expect(credentialIn("x", privateKeyPem())).toBe("a private key");
        expect(credentialIn("c2", b64(kubeconfig({ token: "t" })))).toBe("a kubeconfig");
        expect(credentialIn("x", `Bearer ${jwt()}`)).toBe("a bearer token");
        expect(credentialIn("token", "opaque-value")).toBe("a credential");
        expect(credentialIn("ca-key.pem", "opaque-value")).toBe("a credential");
        expect(credentialIn("caPrivateKeyPem", "opaque-value")).toBe("a credential");
        for (const [key, value] of [["root-cert.pem", cert], ["caBundle", b64(cert)], ["token", UNKNOWN_STRING], ["token", ""], ["name", "istio-reader-service-account-istio-remote-secret-token"]]) {
            expect(credentialIn(key, value)).toBeUndefined();
        }
    });
});

describe("istio-strict-mtls", () => {
    test("every cluster running istiod has the mesh-wide STRICT PeerAuthentication; remotes need none", async () => {
        const remote = release("mesh-c3-istiod", "istiod", { values: { profile: "remote", global: { tag: "1.30.3" } } }, "mesh-c3-k8s");
        expect(await violationsOf("istio-strict-mtls", [istiod(), strictPeerAuthentication(), remote])).toEqual([]);
        const missing = await violationsOf("istio-strict-mtls", [istiod(), istiod("mesh-c2-k8s"), strictPeerAuthentication()]);
        expect(missing.map((v) => v.resource)).toEqual(["mesh-c2-k8s-istiod"]);
        expect(missing[0].message).toMatch(/no mesh-wide STRICT mTLS.*PeerAuthentication named "default" in istio-system/);
    });

    test("a selector, another namespace or another mode is not mesh-wide STRICT; unknown values during preview are", async () => {
        for (const pa of [strictPeerAuthentication("mesh-c1-k8s", { mtls: { mode: "STRICT" }, selector: { matchLabels: { app: "x" } } }), strictPeerAuthentication("mesh-c1-k8s", { mtls: { mode: "STRICT" } }, "default"), strictPeerAuthentication("mesh-c1-k8s", { mtls: { mode: "PERMISSIVE" } })]) {
            expect(await violationsOf("istio-strict-mtls", [istiod(), pa])).toHaveLength(1);
        }
        expect(await violationsOf("istio-strict-mtls", [istiod(), strictPeerAuthentication("mesh-c1-k8s", { mtls: { mode: "STRICT" } }, UNKNOWN_STRING)])).toEqual([]);
        // A remote's values wait for its primary's address in a first preview: not taken for a primary's.
        expect(await violationsOf("istio-strict-mtls", [release("mesh-c3-istiod", "istiod", { values: UNKNOWN_STRING }, "mesh-c3-k8s")])).toEqual([]);
    });
});

test("istio-no-mtls-downgrade: PERMISSIVE or DISABLE peers, per port too, and TLS-disabling DestinationRules", async () => {
    const dr = k8s("kubernetes:networking.istio.io/v1:DestinationRule", "dr", { spec: { host: "a", trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: "DISABLE" } }] }, subsets: [{ name: "v1", trafficPolicy: { tls: { mode: "DISABLE" } } }] } });
    const pa = strictPeerAuthentication("mesh-c1-k8s", { mtls: { mode: "STRICT" }, portLevelMtls: { "8080": { mode: "PERMISSIVE" } } });
    expect(messages(await violationsOf("istio-no-mtls-downgrade", [dr, pa, strictPeerAuthentication()])).sort()).toEqual([
        "spec.portLevelMtls.8080.mode is PERMISSIVE: the mesh is STRICT on every port",
        "spec.subsets[0].trafficPolicy.tls.mode is DISABLE: traffic would leave the sidecar in plaintext, which STRICT peers refuse",
        "spec.trafficPolicy.portLevelSettings[0].tls.mode is DISABLE: traffic would leave the sidecar in plaintext",
    ]);
});

describe("mesh-wide policy", () => {
    const MESH = { "app.kubernetes.io/part-of": "mesh-policy" };
    const ap = (name: string, spec: Record<string, unknown>, provider = "mesh-c1-k8s", annotations?: Record<string, string>) =>
        k8s("kubernetes:security.istio.io/v1:AuthorizationPolicy", `${provider}-policy-${name}`, { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace: "istio-system", labels: MESH, ...(annotations ? { annotations } : {}) }, spec }, provider);
    const gatewayAllow = (provider = "mesh-c1-k8s", ports = ["15443", "15012", "15017"]) =>
        ap("allow-eastwest-gateway", { selector: { matchLabels: { app: "istio-eastwestgateway", istio: "eastwestgateway" } }, action: "ALLOW", rules: [{ to: [{ operation: { ports } }] }] }, provider);
    const sidecar = (provider = "mesh-c1-k8s", hosts = ["./*"]) =>
        k8s("kubernetes:networking.istio.io/v1:Sidecar", `${provider}-policy-sidecar`, { apiVersion: "networking.istio.io/v1", kind: "Sidecar", metadata: { name: "default", namespace: "istio-system", labels: MESH }, spec: { egress: [{ hosts }] } }, provider);
    const remote = release("mesh-c3-istiod", "istiod", { values: { profile: "remote", global: { tag: "1.30.3" } } }, "mesh-c3-k8s");

    test("istio-policy-uniform: every primary the same labelled objects; remotes and unlabelled objects are not compared", async () => {
        const same = [istiod(), istiod("mesh-c2-k8s"), remote, sidecar(), sidecar("mesh-c2-k8s"), gatewayAllow(), gatewayAllow("mesh-c2-k8s")];
        expect(await violationsOf("istio-policy-uniform", same)).toEqual([]);
        // An object of the program's own topology (no label) may differ per primary.
        const gateway = k8s("kubernetes:networking.istio.io/v1:Gateway", "mesh-c1-istio-istiod-gateway", { metadata: { name: "istiod-gateway", namespace: "istio-system" }, spec: {} });
        expect(await violationsOf("istio-policy-uniform", [...same, gateway])).toEqual([]);
        const vs = await violationsOf("istio-policy-uniform", [istiod(), istiod("mesh-c2-k8s"), remote, sidecar(), sidecar("mesh-c2-k8s", ["./*", "istio-system/*"]), gatewayAllow()]);
        expect(messages(vs)).toEqual([
            expect.stringMatching(/^the mesh-wide Sidecar\/default differs between mesh-c1-k8s, mesh-c2-k8s: every primary carries the same labels, annotations and spec$/),
            expect.stringMatching(/^mesh-c2-k8s-istiod \(cluster provider mesh-c2-k8s\) lacks the mesh-wide AuthorizationPolicy\/allow-eastwest-gateway that mesh-c1-k8s carries/),
        ]);
        expect(mandatory(vs)).toHaveLength(2);
    });

    test("istio-eastwest-gateway-authorized: an enforced mesh-wide ALLOW needs the gateway's 15012 and 15017 allowed", async () => {
        const denyAll = ap("allow-nothing", {});
        expect(await violationsOf("istio-eastwest-gateway-authorized", [istiod(), denyAll, gatewayAllow()])).toEqual([]);
        // Dry-run denies nothing; no mesh-wide ALLOW, nothing to keep open.
        expect(await violationsOf("istio-eastwest-gateway-authorized", [ap("allow-nothing", {}, "mesh-c1-k8s", { "istio.io/dry-run": "true" })])).toEqual([]);
        expect(await violationsOf("istio-eastwest-gateway-authorized", [ap("deny-debug", { action: "DENY", rules: [{}] }), gatewayAllow("mesh-c1-k8s", ["15443"])])).toEqual([]);
        for (const broken of [[denyAll], [denyAll, gatewayAllow("mesh-c1-k8s", ["15443", "15012"])], [denyAll, gatewayAllow("mesh-c2-k8s")], [denyAll, ap("allow-eastwest-gateway", { selector: { matchLabels: { app: "other" } }, rules: [{}] })]]) {
            const vs = await violationsOf("istio-eastwest-gateway-authorized", broken);
            expect(messages(vs)).toEqual([expect.stringMatching(/^mesh-c1-k8s-policy-allow-nothing \(cluster provider mesh-c1-k8s\) denies by default what it does not match, and no enforced ALLOW policy admits the east-west gateway's ports 15012 and 15017/)]);
        }
        // A mesh-wide ALLOW whose own rule admits those ports from anyone keeps them open too.
        expect(await violationsOf("istio-eastwest-gateway-authorized", [ap("open-istiod", { rules: [{ to: [{ operation: { ports: ["15012", "15017"] } }] }] })])).toEqual([]);
    });
});

describe("credentials", () => {
    test("helm-values-no-credentials: a key, token or kubeconfig in values is refused, secret or not; CA bundles pass", async () => {
        const values = { global: { tag: "1.30.3" }, base: { validationCABundle: b64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n") }, pilot: { env: { DEBUG_KEY: privateKeyPem() } }, extra: secret({ token: jwt() }) };
        const vs = await violationsOf("helm-values-no-credentials", [istiod("mesh-c1-k8s", values)]);
        // (Struct keys arrive sorted, as from the engine.)
        expect(messages(vs)).toEqual([
            expect.stringMatching(/^values\.extra\.token holds a bearer token/),
            expect.stringMatching(/^values\.pilot\.env\.DEBUG_KEY holds a private key: Helm stores a release's values in clear text/),
        ]);
        expect(mandatory(vs)).toHaveLength(2);
    });

    test("credentials-are-secret: kubeconfigs, keys and tokens in inputs must be secret", async () => {
        const plain = [
            { type: TYPES.kubernetesProvider, name: "mesh-c1-k8s", props: { kubeconfig: kubeconfig({ "client-key-data": b64(privateKeyPem()) }), context: "kwok-mesh-c1" } },
            k8s(TYPES.secret, "mesh-c1-istio-cacerts", { metadata: { name: "cacerts" }, stringData: { "ca-key.pem": privateKeyPem(), "ca-cert.pem": "-----BEGIN CERTIFICATE-----\n" } }),
        ];
        expect(messages(await violationsOf("credentials-are-secret", plain))).toEqual([
            expect.stringMatching(/^kubeconfig holds a kubeconfig but is not secret/),
            expect.stringMatching(/^stringData\.ca-key\.pem holds a private key but is not secret/),
        ]);
        const secrets = [
            { type: TYPES.kubernetesProvider, name: "mesh-c1-k8s", props: { kubeconfig: secret(kubeconfig({ token: jwt() })) } },
            k8s(TYPES.secret, "mesh-c1-istio-cacerts", { metadata: { name: "cacerts" }, stringData: secret({ "ca-key.pem": privateKeyPem() }) }),
            k8s(TYPES.secret, "rs", { data: { c2: secret(b64(kubeconfig({ token: jwt() }))) } }),
        ];
        expect(await violationsOf("credentials-are-secret", secrets)).toEqual([]);
    });

    test("state-credentials-encrypted: outputs, the stack's too, hold credentials only as secrets", async () => {
        const stack = (kc: unknown) => ({ type: TYPES.stack, name: "mesh-local", props: { teams: { "team-a": { clusters: { c1: { kubeconfig: kc } } } } } });
        expect(await violationsOf("state-credentials-encrypted", [stack(secret(kubeconfig({ token: jwt() })))])).toEqual([]);
        const vs = await violationsOf("state-credentials-encrypted", [stack(kubeconfig({ token: jwt() })), k8s(TYPES.secret, "reader-token", { data: { token: b64(jwt()) } })]);
        expect(messages(vs)).toEqual([
            expect.stringMatching(/^stack output teams\.team-a\.clusters\.c1\.kubeconfig holds a kubeconfig in clear text/),
            expect.stringMatching(/^output of reader-token data\.token holds a bearer token in clear text/),
        ]);
    });

    test("admin-kubeconfigs-not-exported, unless the environment allows it", async () => {
        const stack = { type: TYPES.stack, name: "mesh-prod", props: { clusters: { "aws-east": { adminKubeconfig: secret("k"), network: "n" }, "aws-west": { network: "w" } } } };
        expect(messages(await violationsOf("admin-kubeconfigs-not-exported", [stack]))).toEqual([expect.stringMatching(/^stack output clusters\.aws-east\.adminKubeconfig is cluster-admin on aws-east/)]);
        expect(await violationsOf("admin-kubeconfigs-not-exported", [stack], { "admin-kubeconfigs-not-exported": { allow: true } })).toEqual([]);
    });
});

describe("PKI", () => {
    const root = (protect: boolean): TestResource[] => [
        { type: TYPES.privateKey, name: "mesh-pki-root-key", props: { algorithm: "ECDSA", ecdsaCurve: "P256" }, provider: "mesh-pki-tls", protect },
        { type: TYPES.selfSignedCert, name: "mesh-pki-root-cert", props: { isCaCertificate: true, privateKeyPem: secret(UNKNOWN_STRING) }, provider: "mesh-pki-tls", protect, propertyDependencies: { privateKeyPem: ["mesh-pki-root-key"] } },
        { type: TYPES.privateKey, name: "mesh-pki-c1-key", props: { algorithm: "ECDSA", ecdsaCurve: "P256" }, provider: "mesh-pki-tls" },
    ];

    test("root-ca-protected: the root certificate and its key, unless the environment allows an unprotected root", async () => {
        expect(await violationsOf("root-ca-protected", root(true))).toEqual([]);
        expect((await violationsOf("root-ca-protected", root(false))).map((v) => [v.resource, v.level])).toEqual([
            ["mesh-pki-root-cert", "mandatory"],
            ["mesh-pki-root-key", "mandatory"],
        ]);
        expect(await violationsOf("root-ca-protected", root(false), { "root-ca-protected": { allowUnprotected: true } })).toEqual([]);
    });

    test("root-ca-protected during a root rotation: only an old root, once a newer protected root issues, may be unprotected", async () => {
        const tls = "mesh-pki-tls";
        const rootOf = (n: string, g: number, protect: boolean): TestResource[] => [
            { type: TYPES.privateKey, name: `${n}-key`, props: { algorithm: "ECDSA", ecdsaCurve: "P256" }, provider: tls, protect },
            {
                type: TYPES.selfSignedCert,
                name: `${n}-cert`,
                props: { isCaCertificate: true, subject: { commonName: g > 1 ? `prod-mesh Root CA ${g}` : "prod-mesh Root CA" } },
                provider: tls,
                protect,
                propertyDependencies: { privateKeyPem: [`${n}-key`] },
            },
        ];
        const intermediateFrom = (n: string): TestResource => ({ type: TYPES.locallySignedCert, name: `c1-from-${n}`, props: { isCaCertificate: true }, provider: tls, propertyDependencies: { caCertPem: [`${n}-cert`], caPrivateKeyPem: [`${n}-key`] } });
        const names = async (rs: TestResource[]) => (await violationsOf("root-ca-protected", rs)).map((v) => v.resource).sort();
        // Phase issue: root 2 issues and is protected, root 1 is on its way out.
        expect(await names([...rootOf("mesh-pki-root", 1, false), ...rootOf("mesh-pki-root-2", 2, true), intermediateFrom("mesh-pki-root-2")])).toEqual([]);
        // Phase trust: root 1 still issues; an unprotected new root is refused, and so is unprotecting the issuer.
        expect(await names([...rootOf("mesh-pki-root", 1, true), ...rootOf("mesh-pki-root-2", 2, false), intermediateFrom("mesh-pki-root")])).toEqual(["mesh-pki-root-2-cert", "mesh-pki-root-2-key"]);
        expect(await names([...rootOf("mesh-pki-root", 1, false), ...rootOf("mesh-pki-root-2", 2, false), intermediateFrom("mesh-pki-root-2")])).toEqual([
            "mesh-pki-root-2-cert",
            "mesh-pki-root-2-key",
            "mesh-pki-root-cert",
            "mesh-pki-root-key",
        ]);
    });

    test("ca-key-strength: the tls provider's defaults (P224, RSA 2048) are refused", async () => {
        const key = (props: Record<string, unknown>) => ({ type: TYPES.privateKey, name: JSON.stringify(props), props, provider: "tls" });
        const vs = await violationsOf("ca-key-strength", [key({ algorithm: "ECDSA" }), key({ algorithm: "RSA" }), key({ algorithm: "ED25519" }), key({ algorithm: "ECDSA", ecdsaCurve: "P256" }), key({ algorithm: "RSA", rsaBits: 4096 })]);
        expect(messages(vs)).toEqual(["ecdsaCurve is P224 (the tls provider's default): use P256 or stronger", "rsaBits is 2048: a CA key needs at least 3072 bits", expect.stringMatching(/^algorithm ED25519/)]);
    });
});

test("explicit-providers: no default provider, no provider without a kubeconfig", async () => {
    const resources: TestResource[] = [
        k8s(TYPES.namespace, "on-default", { metadata: { name: "x" } }, "default_4_25_0"),
        { type: TYPES.namespace, name: "no-provider", props: {} },
        k8s(TYPES.namespace, "explicit", { metadata: { name: "y" } }),
        { type: TYPES.kubernetesProvider, name: "ambient", props: { context: "prod" } },
        { type: TYPES.kubernetesProvider, name: "eks-first-preview", props: { kubeconfig: secret(UNKNOWN_STRING) } },
        { type: "mesh:index:Mesh", name: "mesh" },
    ];
    expect((await violationsOf("explicit-providers", resources)).map((v) => v.resource)).toEqual(["on-default", "no-provider", "ambient"]);
});

describe("remote-secrets-read-only", () => {
    const token = (account: string) => k8s(TYPES.secret, `mesh-c2-${account}-token`, { type: "kubernetes.io/service-account-token", metadata: { annotations: { "kubernetes.io/service-account.name": account } } }, "mesh-c2-k8s");
    const remoteSecret = (user: Record<string, unknown>, from: string) => ({
        ...k8s(TYPES.secret, "mesh-c1-istio-remote-c2", { metadata: { labels: { "istio/multiCluster": "true" } }, data: { c2: secret(b64(kubeconfig(user))) } }),
        propertyDependencies: { data: [from], metadata: ["mesh-c1-istio-namespace"] },
    });

    test("a reader token as a plain bearer token passes", async () => {
        expect(await violationsOf("remote-secrets-read-only", [token("istio-reader-service-account"), remoteSecret({ token: jwt() }, "mesh-c2-istio-reader-service-account-token")])).toEqual([]);
    });

    test("another account's token, exec or certificate users, and bindings that widen the reader are refused", async () => {
        const binding = k8s(TYPES.clusterRoleBinding, "widen", { roleRef: { kind: "ClusterRole", name: "cluster-admin" }, subjects: [{ kind: "ServiceAccount", name: "istio-reader-service-account", namespace: "istio-system" }] }, "mesh-c2-k8s");
        const vs = await violationsOf("remote-secrets-read-only", [
            token("istiod"),
            remoteSecret({ exec: { command: "aws" }, token: "x" }, "mesh-c2-istiod-token"),
            binding,
        ]);
        expect(messages(vs)).toEqual([
            expect.stringMatching(/carries the token of mesh-c2-istiod-token \(ServiceAccount istiod\): only istio-reader-service-account's token/),
            expect.stringMatching(/data\.c2: its user has exec, token; a remote secret's user has a bearer token only/),
            expect.stringMatching(/^widen \(cluster provider mesh-c2-k8s\) binds istio-reader-service-account/),
        ]);
    });
});

test("rbac-least-privilege: no cluster-wide grant, no cluster-admin, nothing in platform namespaces, no wildcards", async () => {
    const binding = (name: string, role: string, namespace: string) => k8s(TYPES.roleBinding, name, { metadata: { namespace }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role }, subjects: [] });
    const vs = await violationsOf("rbac-least-privilege", [
        binding("team-edit", "edit", "payments"),
        binding("team-admin-everything", "cluster-admin", "payments"),
        binding("in-kube-system", "view", "kube-system"),
        k8s(TYPES.clusterRoleBinding, "crb", { roleRef: { kind: "ClusterRole", name: "view" } }),
        k8s(TYPES.clusterRole, "wild", { rules: [{ apiGroups: [""], resources: ["*"], verbs: ["get"] }] }),
    ]);
    expect(vs.map((v) => v.resource)).toEqual(["team-admin-everything", "in-kube-system", "crb", "wild"]);
});

test("workload-namespaces-in-mesh: namespaces the stack makes for workloads are injected", async () => {
    const ns = (name: string, labels: Record<string, string> = {}) => k8s(TYPES.namespace, name, { metadata: { name, labels } });
    const vs = await violationsOf("workload-namespaces-in-mesh", [ns("istio-system"), ns("mesh-access"), ns("team-a", { "istio-injection": "enabled" }), ns("canary", { "istio.io/rev": "1-30" }), ns("payments"), ns("off", { "istio-injection": "disabled" })]);
    expect(vs.map((v) => v.resource)).toEqual(["payments", "off"]);
});

describe("istio-version-pinned", () => {
    const mesh = (v1: string, v2: string, tag = v1) => [release("c1-base", "base", { version: v1 }), istiod("mesh-c1-k8s", { global: { tag } }), release("c2-gateway", "gateway", { version: v2 }, "mesh-c2-k8s")];

    test("one exact release on every cluster", async () => {
        expect(await violationsOf("istio-version-pinned", mesh("1.30.3", "1.30.3"))).toEqual([]);
        expect(messages(await violationsOf("istio-version-pinned", mesh("1.30.3", "1.30.2")))).toEqual([expect.stringMatching(/more than one Istio release \(1\.30\.3: c1-base chart, mesh-c1-k8s-istiod chart, mesh-c1-k8s-istiod image; 1\.30\.2: c2-gateway chart\)/)]);
        expect(messages(await violationsOf("istio-version-pinned", mesh("~1.30.0", "1.30.3", "latest")))).toEqual([
            expect.stringMatching(/chart base is not pinned to an exact Istio release \(version: ~1\.30\.0\)/),
            expect.stringMatching(/istiod's image tag \(values\.global\.tag\) is latest/),
        ]);
    });

    test("charts from a local directory only where the environment allows it (local)", async () => {
        const local = [k8s(TYPES.release, "c1-istiod", { chart: "/home/ci/.cache/mesh-toolchain/istio-charts/1.29.1/istiod", values: { global: { tag: "1.29.1" } }, status: { version: "1.29.1" } })];
        expect(messages(await violationsOf("istio-version-pinned", local))).toEqual([expect.stringMatching(/comes from a local directory/)]);
        expect(await violationsOf("istio-version-pinned", local, { "istio-version-pinned": { requireChartRepository: false } })).toEqual([]);
    });
});

test("eks-explicit-admins and the advisory api-endpoints-restricted", async () => {
    const eks = (accessConfig: Record<string, unknown>, vpcConfig: Record<string, unknown>) => ({ type: TYPES.eks, name: JSON.stringify(accessConfig), props: { accessConfig, vpcConfig }, provider: "mesh-a-aws" });
    const vs = await runPolicies(policies, [
        eks({ authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false }, { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] }),
        eks({ authenticationMode: "API_AND_CONFIG_MAP", bootstrapClusterCreatorAdminPermissions: true }, { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] }),
    ]);
    expect(vs.map((v) => [v.policy, v.level, v.message])).toEqual([
        ["eks-explicit-admins", "mandatory", "accessConfig.authenticationMode is API_AND_CONFIG_MAP: use API (access entries), not the aws-auth ConfigMap"],
        ["eks-explicit-admins", "mandatory", "accessConfig.bootstrapClusterCreatorAdminPermissions is not false: whoever creates the cluster would stay cluster-admin"],
        ["api-endpoints-restricted", "advisory", expect.stringMatching(/open to the internet/)],
    ]);
});
