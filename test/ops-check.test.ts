/** mesh-check's judgement (ops/check-model.ts): every rule on facts made up here, no cluster. */
import { ClusterConfig } from "../stacks/config";
import { planMesh } from "../stacks/topology";
import {
    ClusterFacts,
    LoginProbe,
    RemoteSecretFacts,
    Row,
    classifySync,
    evaluate,
    exitCode,
    parseClusterz,
    parseRemoteKubeconfig,
    renderTable,
} from "../ops/check-model";
import { MeshOutputs } from "../ops/stack";
import { Ca, cacerts, intermediateCa, rootCa } from "./support/certs";

const NOW = new Date("2026-06-01T00:00:00Z");
const DAY = 24 * 3600 * 1000;
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY);
const OPTS = { now: NOW, warnDays: 30, rootWarnDays: 180 };

/** The local stack's shape: c1, c2 primaries; c3 remote of c1 (own network), c4 remote of c2 (c2's network). */
const cluster = (name: string, network: string, primary?: string): ClusterConfig => ({ name, provider: "existing", network, role: primary ? "remote" : "primary", ...(primary ? { primary } : {}) });
const PLAN = planMesh({ clusters: [cluster("c1", "net1"), cluster("c2", "net2"), cluster("c3", "net3", "c1"), cluster("c4", "net2", "c2")] });
const WATCHES: Record<string, string[]> = { c1: ["c2", "c3", "c4"], c2: ["c1", "c3", "c4"] };
const SERVER = (c: string) => `https://127.0.0.1:3240${c.slice(1)}`;
const ADDRESS: Record<string, string> = { c1: "istio-eastwestgateway-1.elb.c1.mesh.test", c2: "198.18.2.1", c3: "198.18.3.1", c4: "198.18.4.1" };

/** istiod's /debug/clusterz: its own (config) cluster first, then one entry per remote secret key. */
function clusterz(self: string, statuses: Record<string, string>): string {
    return JSON.stringify([{ id: self, secretName: "", syncStatus: "synced" }, ...Object.entries(statuses).map(([id, syncStatus]) => ({ id, secretName: `istio-system/istio-remote-secret-${id}`, syncStatus }))]);
}

export function tokenKubeconfig(name: string, server: string, user: Record<string, unknown> = { token: "t" }): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        `clusters:\n- name: ${name}\n  cluster:\n    server: ${server}\n    certificate-authority-data: Q0E=`,
        `users:\n- name: ${name}\n  user: ${JSON.stringify(user)}`,
        `contexts:\n- name: ${name}\n  context:\n    cluster: ${name}\n    user: ${name}`,
        `current-context: ${name}`,
    ].join("\n");
}

const READ_ONLY: LoginProbe = { list: { ok: true, value: 7 }, writes: { ok: true, value: { "create pods": false, "delete secrets": false } } };

function remoteSecret(watched: string, over: Partial<RemoteSecretFacts> = {}, probe: LoginProbe = READ_ONLY): RemoteSecretFacts {
    return {
        name: `istio-remote-secret-${watched}`,
        labels: { "istio/multiCluster": "true" },
        annotations: { "networking.istio.io/cluster": watched },
        data: { [watched]: tokenKubeconfig(watched, SERVER(watched)) },
        probes: { [watched]: probe },
        ...over,
    };
}

interface World {
    root: Ca;
    inter: Record<string, Ca>;
    facts: Map<string, ClusterFacts>;
    outputs: MeshOutputs;
}

async function healthy(): Promise<World> {
    const root = await rootCa("local-mesh", daysAgo(10), 365);
    const inter = { c1: await intermediateCa(root, "c1", daysAgo(10), 90), c2: await intermediateCa(root, "c2", daysAgo(10), 90) };
    const facts = new Map<string, ClusterFacts>();
    for (const p of PLAN.clusters) {
        const c = p.cluster.name;
        const primary = p.isPrimary;
        facts.set(c, {
            name: c,
            api: { ok: true, value: { server: SERVER(c), version: "v1.35.4" } },
            ...(primary
                ? {
                      cacerts: { ok: true, value: cacerts(inter[c as "c1" | "c2"], root) },
                      istiod: { ok: true, value: [{ name: `istiod-${c}`, ready: true, clusterz: { ok: true, value: clusterz(c, Object.fromEntries(WATCHES[c].map((w) => [w, "synced"]))) } }] },
                  }
                : {}),
            remoteSecrets: { ok: true, value: primary ? WATCHES[c].map((w) => remoteSecret(w)) : [] },
            gateway: { ok: true, value: [ADDRESS[c]] },
        });
    }
    const outputs: MeshOutputs = {
        meshId: "local-mesh",
        rootCertificatePem: root.pem,
        clusters: Object.fromEntries(PLAN.clusters.map((p) => [p.cluster.name, { apiServer: SERVER(p.cluster.name), eastWestGatewayAddress: ADDRESS[p.cluster.name] }])),
    };
    return { root, inter, facts, outputs };
}

const check = (w: World, opts = OPTS) => evaluate(PLAN, w.outputs, w.facts, opts);
const failing = (rows: Row[]) => rows.filter((r) => r.status !== "PASS").map((r) => `${r.status} ${r.check} ${r.subject}: ${r.detail}`);
const row = (rows: Row[], checkName: string, subject: string) => rows.find((r) => r.check === checkName && r.subject === subject);
function update(w: World, c: string, f: Partial<ClusterFacts>) {
    w.facts.set(c, { ...w.facts.get(c)!, ...f });
}

describe("a healthy mesh", () => {
    test("every check passes, exit status 0, in the order an on-call engineer reads them", async () => {
        const rows = check(await healthy());
        expect(failing(rows)).toEqual([]);
        expect(exitCode(rows)).toBe(0);
        expect(rows.map((r) => `${r.check} ${r.subject}`)).toEqual([
            "api server c1", "api server c2", "api server c3", "api server c4",
            "istiod sync c1", "istiod sync c2",
            "root shared mesh", "root lifetime mesh",
            "cacerts chain c1", "intermediate lifetime c1", "cacerts chain c2", "intermediate lifetime c2",
            ...["c2", "c3", "c4"].flatMap((w) => [`remote secret c1 → ${w}`, `remote login c1 → ${w}`, `remote read-only c1 → ${w}`]),
            ...["c1", "c3", "c4"].flatMap((w) => [`remote secret c2 → ${w}`, `remote login c2 → ${w}`, `remote read-only c2 → ${w}`]),
            "east-west gateway c1", "east-west gateway c2", "east-west gateway c3", "east-west gateway c4",
        ]);
        expect(row(rows, "istiod sync", "c1")!.detail).toBe("c2 synced, c3 synced, c4 synced");
        expect(row(rows, "root shared", "mesh")!.detail).toMatch(/^c1, c2, the stack output: one root, CN=local-mesh Root CA, O=local-mesh, SHA-256 [0-9A-F:]{23}…$/);
        expect(row(rows, "intermediate lifetime", "c1")!.detail).toBe("80 days left (until 2026-08-20)");
    });

    test("the table: aligned columns, details never cut, a summary line", async () => {
        const rows = check(await healthy()).slice(0, 2);
        expect(renderTable([...rows, { status: "FAIL", check: "remote login", subject: "c1 → c3", detail: "listing Services with the token fails: HTTP 401: Unauthorized" }])).toBe(
            [
                "STATUS  CHECK         WHERE    DETAILS",
                "PASS    api server    c1       https://127.0.0.1:32401, Kubernetes v1.35.4",
                "PASS    api server    c2       https://127.0.0.1:32402, Kubernetes v1.35.4",
                "FAIL    remote login  c1 → c3  listing Services with the token fails: HTTP 401: Unauthorized",
                "",
                "3 checks: 2 passed, 0 warnings, 1 failed",
                "",
            ].join("\n"),
        );
    });
});

describe("istiod's synced clusters (/debug/clusterz, as istioctl remote-clusters reads it)", () => {
    test("clusterz: istiod's own cluster is left out, the rest kept with their secrets", () => {
        expect(parseClusterz(clusterz("c1", { c2: "synced", c3: "timeout" }), "c1")).toEqual([
            { id: "c2", secretName: "istio-system/istio-remote-secret-c2", syncStatus: "synced" },
            { id: "c3", secretName: "istio-system/istio-remote-secret-c3", syncStatus: "timeout" },
        ]);
        expect(() => parseClusterz("{}", "c1")).toThrow("not a JSON list");
    });

    const entries = (statuses: Record<string, string>) => parseClusterz(clusterz("c1", statuses), "c1");
    test.each([
        [{ c2: "synced", c3: "synced" }, "PASS", "c2 synced, c3 synced"],
        [{ c2: "synced", c3: "syncing" }, "WARN", "c2 synced, c3 still syncing"],
        [{ c2: "synced", c3: "timeout" }, "FAIL", "c2 synced, c3 TIMEOUT"],
        [{ c2: "closed", c3: "synced" }, "FAIL", "c2 CLOSED, c3 synced"],
        [{ c2: "synced" }, "FAIL", "c2 synced, c3 NOT REGISTERED"],
        [{ c2: "synced", c3: "synced", stray: "synced" }, "WARN", "c2 synced, c3 synced, stray synced (not in the stack; istio-system/istio-remote-secret-stray)"],
    ])("%j → %s", (statuses, status, detail) => {
        expect(classifySync(["c2", "c3"], entries(statuses), "c1")).toEqual({ status, check: "istiod sync", subject: "c1", detail });
    });

    test("a cluster registered through a secret the stack does not make warns", () => {
        const e = [{ id: "c2", secretName: "istio-system/hand-made", syncStatus: "synced" }];
        expect(classifySync(["c2"], e, "c1")).toMatchObject({ status: "WARN", detail: "c2 synced (through istio-system/hand-made, not istio-system/istio-remote-secret-c2)" });
    });

    test("no running istiod, or clusterz out of reach, fails; a running but unready istiod warns", async () => {
        const w = await healthy();
        update(w, "c1", { istiod: { ok: true, value: [] } });
        update(w, "c2", { istiod: { ok: true, value: [{ name: "istiod-b", ready: true, clusterz: { ok: false, error: "port-forward to istiod-b:15014 failed: connection refused" } }] } });
        let rows = check(w);
        expect(row(rows, "istiod sync", "c1")).toMatchObject({ status: "FAIL", detail: "no running istiod pod" });
        expect(row(rows, "istiod sync", "c2")).toMatchObject({ status: "FAIL", detail: "cannot read istiod-b's /debug/clusterz (port-forward to its monitoring port): port-forward to istiod-b:15014 failed: connection refused" });
        update(w, "c1", { istiod: { ok: true, value: [{ name: "istiod-a", ready: false, clusterz: { ok: true, value: clusterz("c1", { c2: "synced", c3: "synced", c4: "synced" }) } }] } });
        update(w, "c2", { istiod: { ok: true, value: [{ name: "istiod-b", ready: true, clusterz: { ok: true, value: "<html>" } }] } });
        rows = check(w);
        expect(row(rows, "istiod sync", "c1")).toMatchObject({ status: "WARN", detail: "istiod-a is not Ready; c2 synced, c3 synced, c4 synced" });
        expect(row(rows, "istiod sync", "c2")!.detail).toMatch(/^istiod-b's \/debug\/clusterz does not parse: /);
    });

    test("each replica is judged on its own", async () => {
        const w = await healthy();
        const good = clusterz("c1", { c2: "synced", c3: "synced", c4: "synced" });
        const bad = clusterz("c1", { c2: "synced", c3: "timeout", c4: "synced" });
        update(w, "c1", {
            istiod: { ok: true, value: [{ name: "istiod-a", ready: true, clusterz: { ok: true, value: good } }, { name: "istiod-b", ready: true, clusterz: { ok: true, value: bad } }] },
        });
        const rows = check(w);
        expect(row(rows, "istiod sync", "c1 istiod-a")!.status).toBe("PASS");
        expect(row(rows, "istiod sync", "c1 istiod-b")).toMatchObject({ status: "FAIL", detail: "c2 synced, c3 TIMEOUT, c4 synced" });
    });
});

describe("cacerts and the trust chain", () => {
    test("an intermediate of another root fails the chain and the shared root", async () => {
        const w = await healthy();
        const other = await rootCa("other", daysAgo(10), 365);
        update(w, "c2", { cacerts: { ok: true, value: cacerts(await intermediateCa(other, "c2", daysAgo(1), 90), other) } });
        const rows = check(w);
        expect(row(rows, "cacerts chain", "c2")!.status).toBe("PASS"); // consistent in itself…
        expect(row(rows, "root shared", "mesh")).toMatchObject({
            status: "FAIL",
            detail:
                "root-cert.pem of c2 differs from the stack output trustBundlePem; the intermediate of c2 is not signed by the stack output rootCertificatePem (local-mesh Root CA); " +
                "c2 does not trust local-mesh Root CA, which signs c1's intermediate: workloads of c1 are refused there; c1 does not trust other Root CA, which signs c2's intermediate: workloads of c2 are refused there",
        });
        // …but not under the root it claims.
        update(w, "c2", { cacerts: { ok: true, value: { ...cacerts(w.inter.c2, w.root), "ca-cert.pem": (await intermediateCa(other, "c2", daysAgo(1), 90)).pem } } });
        expect(row(check(w), "cacerts chain", "c2")!.detail).toMatch(/ca-cert\.pem: its issuer \(CN=other Root CA, O=other\) is not CN=local-mesh Root CA/);
    });

    test("a forged signature, a foreign key, a wrong chain, a non-CA intermediate", async () => {
        const w = await healthy();
        const impostor = await rootCa("local-mesh", daysAgo(10), 365); // same name, other key
        const forged = await intermediateCa(impostor, "c1", daysAgo(1), 90);
        const base = cacerts(w.inter.c1, w.root);
        const detail = async (data: Record<string, string>) => (update(w, "c1", { cacerts: { ok: true, value: data } }), row(check(w), "cacerts chain", "c1")!);
        expect(await detail({ ...base, "ca-cert.pem": forged.pem, "cert-chain.pem": forged.pem + w.root.pem })).toMatchObject({ status: "FAIL", detail: expect.stringContaining("signature does not verify") });
        expect(await detail({ ...base, "ca-key.pem": w.inter.c2.keyPem })).toMatchObject({ status: "FAIL", detail: "ca-key.pem is not ca-cert.pem's key" });
        expect(await detail({ ...base, "cert-chain.pem": w.root.pem + w.inter.c1.pem })).toMatchObject({ status: "FAIL", detail: "cert-chain.pem does not start with ca-cert.pem" });
        expect(await detail({ ...base, "cert-chain.pem": w.inter.c1.pem })).toMatchObject({ status: "FAIL", detail: "cert-chain.pem does not end with the root that signed ca-cert.pem" });
        const leafLike = await intermediateCa(w.root, "c1", daysAgo(1), 90, { ca: false });
        expect(await detail(cacerts(leafLike, w.root))).toMatchObject({ status: "FAIL", detail: expect.stringContaining("it is not a CA") });
        expect(await detail({ ...base, "ca-key.pem": "" })).toMatchObject({ status: "FAIL", detail: "cacerts lacks ca-key.pem" });
    });

    test("no cacerts: istiod would run a self-signed CA", async () => {
        const w = await healthy();
        update(w, "c1", { cacerts: { ok: true, value: undefined } });
        expect(row(check(w), "cacerts chain", "c1")).toMatchObject({ status: "FAIL", detail: expect.stringContaining("does not exist") });
    });

    test("another cluster's intermediate is a warning", async () => {
        const w = await healthy();
        update(w, "c1", { cacerts: { ok: true, value: cacerts(w.inter.c2, w.root) } });
        expect(row(check(w), "cacerts owner", "c1")).toMatchObject({ status: "WARN", detail: "the intermediate is L=c2, not L=c1: another cluster's CA?" });
    });

    test("lifetimes: expired fails; under the threshold or in the re-issue third warns", async () => {
        const w = await healthy();
        update(w, "c1", { cacerts: { ok: true, value: cacerts(await intermediateCa(w.root, "c1", daysAgo(91), 90), w.root) } });
        update(w, "c2", { cacerts: { ok: true, value: cacerts(await intermediateCa(w.root, "c2", daysAgo(65), 90), w.root) } });
        let rows = check(w);
        expect(row(rows, "intermediate lifetime", "c1")).toMatchObject({ status: "FAIL", detail: "EXPIRED on 2026-05-31" });
        expect(row(rows, "intermediate lifetime", "c2")).toMatchObject({ status: "WARN", detail: "25 days left (until 2026-06-26), under 30" });
        // 700-day intermediate 500 days in: 200 days left, past two thirds.
        update(w, "c2", { cacerts: { ok: true, value: cacerts(await intermediateCa(w.root, "c2", daysAgo(500), 700), w.root) } });
        rows = check(w, { ...OPTS, rootWarnDays: 400 });
        expect(row(rows, "intermediate lifetime", "c2")!.detail).toBe("200 days left (until 2026-12-18): in its last third, the next pulumi up re-issues it");
        expect(row(rows, "root lifetime", "mesh")).toMatchObject({ status: "WARN", detail: "355 days left (until 2027-05-22), under 400" });
        expect(exitCode(rows)).toBe(1);
    });
});

describe("a root rotation (stacks/rotation.ts): two roots in root-cert.pem and trustBundlePem", () => {
    /** The mesh after the `up` of a phase: cacerts trust `trusted`, intermediates signed by `issuing`. */
    async function rotating(phase: "trust" | "issue" | "retire") {
        const w = await healthy();
        const next = await rootCa("local-mesh", daysAgo(2), 365, "local-mesh Root CA 2");
        const issuing = phase === "trust" ? w.root : next;
        const trusted = phase === "retire" ? [next] : [w.root, next];
        const bundle = trusted.map((r) => r.pem).join("");
        for (const c of ["c1", "c2"]) {
            const inter = phase === "trust" ? w.inter[c] : await intermediateCa(next, c, daysAgo(1), 90);
            update(w, c, { cacerts: { ok: true, value: { ...cacerts(inter, issuing), "root-cert.pem": bundle } } });
        }
        w.outputs = { ...w.outputs, rootCertificatePem: issuing.pem, trustBundlePem: bundle };
        return { w, next };
    }

    test.each(["trust", "issue", "retire"] as const)("phase %s, every primary up to date: no failure, no warning", async (phase) => {
        const { w } = await rotating(phase);
        const rows = check(w);
        expect(failing(rows)).toEqual([]);
        const shared = row(rows, "root shared", "mesh")!.detail;
        if (phase === "retire") expect(shared).toMatch(/^c1, c2, the stack output: one root, CN=local-mesh Root CA 2, O=local-mesh/);
        else expect(shared).toMatch(new RegExp(`^c1, c2, the stack output: 2 roots trusted \\(a root rotation\\): local-mesh Root CA [0-9A-F:]{11}…, local-mesh Root CA 2 [0-9A-F:]{11}…; issuing from local-mesh Root CA${phase === "issue" ? " 2" : ""}$`));
        expect(rows.filter((r) => r.check === "root lifetime").map((r) => r.detail)).toEqual(
            phase === "retire" ? ["363 days left (until 2027-05-30)"] : ["local-mesh Root CA: 355 days left (until 2027-05-22)", "local-mesh Root CA 2: 363 days left (until 2027-05-30)"],
        );
        if (phase !== "retire") expect(row(rows, "cacerts chain", "c1")!.detail).toMatch(new RegExp(`→ local-mesh Root CA${phase === "issue" ? " 2" : ""}; cert-chain\\.pem and ca-key\\.pem match; root-cert\\.pem trusts 2 roots$`));
    });

    test("a primary left behind (its cacerts still trusting the old root alone) fails: the others' workloads are refused there", async () => {
        const { w } = await rotating("issue");
        update(w, "c2", { cacerts: { ok: true, value: cacerts(w.inter.c2, w.root) } });
        const rows = check(w);
        expect(row(rows, "cacerts chain", "c2")!.status).toBe("PASS");
        expect(row(rows, "root shared", "mesh")).toMatchObject({
            status: "FAIL",
            detail:
                "root-cert.pem of c2 differs from the stack output trustBundlePem; the intermediate of c2 is not signed by the stack output rootCertificatePem (local-mesh Root CA 2); " +
                "c2 does not trust local-mesh Root CA 2, which signs c1's intermediate: workloads of c1 are refused there",
        });
        expect(exitCode(rows)).toBe(1);
    });

    test("an intermediate signed by neither trusted root fails its chain", async () => {
        const { w } = await rotating("trust");
        const stranger = await rootCa("local-mesh", daysAgo(2), 365, "local-mesh Root CA 3");
        const data = w.facts.get("c1")!.cacerts as { value: Record<string, string> };
        const inter = await intermediateCa(stranger, "c1", daysAgo(1), 90);
        update(w, "c1", { cacerts: { ok: true, value: { ...data.value, "ca-cert.pem": inter.pem, "ca-key.pem": inter.keyPem, "cert-chain.pem": inter.pem + stranger.pem } } });
        expect(row(check(w), "cacerts chain", "c1")).toMatchObject({
            status: "FAIL",
            detail: "ca-cert.pem: its issuer (CN=local-mesh Root CA 3, O=local-mesh) is none of the 2 roots in root-cert.pem (local-mesh Root CA, local-mesh Root CA 2)",
        });
    });

    test("a stack deployed before rotation existed (no trustBundlePem) is judged by rootCertificatePem", async () => {
        const w = await healthy();
        expect(w.outputs.trustBundlePem).toBeUndefined();
        expect(failing(check(w))).toEqual([]);
    });
});

describe("remote secrets", () => {
    test("missing, misnamed key, wrong server, a form istiod refuses", async () => {
        const w = await healthy();
        const secrets = (c: string) => (w.facts.get(c)!.remoteSecrets as { value: readonly RemoteSecretFacts[] }).value;
        update(w, "c1", {
            remoteSecrets: {
                ok: true,
                value: [
                    remoteSecret("c2", { data: { "cluster-2": tokenKubeconfig("c2", SERVER("c2")) } }),
                    remoteSecret("c3", { data: { c3: tokenKubeconfig("c3", "https://10.0.0.3:6443") } }),
                    // c4 missing
                ],
            },
        });
        update(w, "c2", { remoteSecrets: { ok: true, value: [...secrets("c2").slice(0, 2), remoteSecret("c4", { data: { c4: tokenKubeconfig("c4", SERVER("c4"), { exec: { command: "aws" } }) } })] } });
        const rows = check(w);
        expect(row(rows, "remote secret", "c1 → c2")!.detail).toBe("data keys are [cluster-2], not [c2]");
        expect(row(rows, "remote secret", "c1 → c3")!.detail).toBe("server https://10.0.0.3:6443 is not c3's apiServer output https://127.0.0.1:32403");
        expect(row(rows, "remote secret", "c1 → c4")).toMatchObject({ status: "FAIL", detail: "istio-system/istio-remote-secret-c4 is missing: istiod in c1 cannot watch c4" });
        expect(row(rows, "remote secret", "c2 → c4")!.detail).toBe("user c4: exec is not allowed; context c4 has no bearer token (the reader ServiceAccount's)");
    });

    test("a rejected token fails; an unreachable server only warns; a token that may write fails", async () => {
        const w = await healthy();
        update(w, "c1", {
            remoteSecrets: {
                ok: true,
                value: [
                    remoteSecret("c2", {}, { list: { ok: false, error: "HTTP 401: Unauthorized" } }),
                    remoteSecret("c3", {}, { list: { ok: false, error: "ECONNREFUSED: connect ECONNREFUSED", unreachable: true } }),
                    remoteSecret("c4", {}, { list: { ok: true, value: 3 }, writes: { ok: true, value: { "create pods": false, "delete secrets": true } } }),
                ],
            },
        });
        const rows = check(w);
        expect(row(rows, "remote login", "c1 → c2")).toMatchObject({ status: "FAIL", detail: "listing Services with the token fails: HTTP 401: Unauthorized" });
        expect(row(rows, "remote login", "c1 → c3")!.status).toBe("WARN");
        expect(row(rows, "remote read-only", "c1 → c4")).toMatchObject({ status: "FAIL", detail: "the token may delete secrets in c4" });
    });

    test("a remote holding a remote secret, or a stray one on a primary, warns", async () => {
        const w = await healthy();
        update(w, "c3", { remoteSecrets: { ok: true, value: [remoteSecret("c1")] } });
        update(w, "c1", { remoteSecrets: { ok: true, value: [...["c2", "c3", "c4"].map((c) => remoteSecret(c)), remoteSecret("gone")] } });
        const rows = check(w);
        expect(row(rows, "remote secret", "c3")).toMatchObject({ status: "WARN", detail: "istio-system/istio-remote-secret-c1: a remote holds a remote secret, which no istiod reads" });
        expect(row(rows, "remote secret", "c1")).toMatchObject({ status: "WARN", detail: "istio-system/istio-remote-secret-gone is not one the stack makes (keys gone)" });
        expect(exitCode(rows)).toBe(0);
    });

    test("kubeconfigs as istiod judges them (pkg/kube/util.go sanitizeKubeConfig)", () => {
        expect(parseRemoteKubeconfig(tokenKubeconfig("c2", "https://x"))).toEqual({ server: "https://x", token: "t", caData: "Q0E=", problems: [] });
        expect(parseRemoteKubeconfig(tokenKubeconfig("c2", "https://x", { token: "t", "auth-provider": { name: "oidc" } })).problems).toEqual([]);
        expect(parseRemoteKubeconfig(tokenKubeconfig("c2", "https://x", { token: "t", "auth-provider": { name: "gcp" } })).problems).toEqual(["user c2: auth provider gcp is not allowed"]);
        expect(parseRemoteKubeconfig(tokenKubeconfig("c2", "https://x", { tokenFile: "/t", "client-certificate": "/c", "client-key": "/k" })).problems).toEqual([
            "user c2: tokenFile is not allowed",
            "user c2: clientCertificate is not allowed",
            "user c2: clientKey is not allowed",
            "context c2 has no bearer token (the reader ServiceAccount's)",
        ]);
        expect(parseRemoteKubeconfig("current-context: nope\n").problems).toEqual(['no context "nope" (current-context)']);
    });
});

describe("clusters and gateways", () => {
    test("an API server out of reach fails once, and nothing depending on it is claimed", async () => {
        const w = await healthy();
        update(w, "c2", { api: { ok: false, error: "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:32402", unreachable: true } });
        w.facts.delete("c4");
        const rows = check(w);
        expect(rows.filter((r) => r.subject === "c2" || r.subject.startsWith("c2 →") || r.subject === "c4").map((r) => `${r.status} ${r.check} ${r.subject}`)).toEqual([
            "FAIL api server c2",
            "FAIL api server c4",
        ]);
        expect(row(rows, "api server", "c4")!.detail).toBe("not checked: no credentials (--kubeconfig c4=FILE or --context c4=CONTEXT)");
        expect(row(rows, "root shared", "mesh")!.detail).toMatch(/^c1, the stack output: one root/);
    });

    test("a gateway whose address is not the stack output's, or has none, fails", async () => {
        const w = await healthy();
        update(w, "c2", { gateway: { ok: true, value: ["198.18.2.9"] } });
        update(w, "c3", { gateway: { ok: true, value: [] } });
        update(w, "c4", { gateway: { ok: true, value: undefined } });
        const rows = check(w);
        expect(row(rows, "east-west gateway", "c2")!.detail).toBe("address 198.18.2.9, but the stack output says 198.18.2.1: remotes and other networks use that one");
        expect(row(rows, "east-west gateway", "c3")!.detail).toBe("the load balancer has no address");
        expect(row(rows, "east-west gateway", "c4")!.detail).toBe("Service istio-system/istio-eastwestgateway does not exist");
    });
});
