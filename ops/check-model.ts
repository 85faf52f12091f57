/**
 * mesh-check's judgement, kept apart from reading the clusters (check-gather.ts) so that every
 * rule is a pure function of what was read: the stack's plan and outputs, and per cluster the
 * facts gathered with the operator's admin credentials. One row per check: PASS, WARN or FAIL.
 */
import { X509Certificate, createHash, createPrivateKey } from "crypto";
import * as YAML from "yaml";
import { MeshPlan } from "../stacks/topology";
import { MeshOutputs } from "./stack";

export type Status = "PASS" | "WARN" | "FAIL";

export interface Row {
    readonly status: Status;
    /** What was checked, e.g. "istiod sync", "cacerts chain". */
    readonly check: string;
    /** Where: a cluster, or "watcher → watched" for a remote secret. */
    readonly subject: string;
    readonly detail: string;
}

/** Either what was read, or why it could not be. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string; readonly unreachable?: boolean };

export interface IstiodPodFacts {
    readonly name: string;
    readonly ready: boolean;
    /** Its /debug/clusterz (JSON) through a port-forward to the monitoring port, as `istioctl remote-clusters` reads it. */
    readonly clusterz?: Result<string>;
}

export interface RemoteSecretFacts {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    /** Data key → decoded kubeconfig. */
    readonly data: Readonly<Record<string, string>>;
    /** Data key → what the kubeconfig could do, when it was usable. */
    readonly probes: Readonly<Record<string, LoginProbe>>;
}

export interface LoginProbe {
    /** Listing Services with it (how many it saw). */
    readonly list: Result<number>;
    /** SelfSubjectAccessReviews of write verbs: "verb resource" → allowed. */
    readonly writes?: Result<Readonly<Record<string, boolean>>>;
}

export interface ClusterFacts {
    readonly name: string;
    /** The API server's /version with the admin credential. */
    readonly api: Result<{ readonly server: string; readonly version: string }>;
    /** istio-system/cacerts data (decoded); undefined when the Secret does not exist. */
    readonly cacerts?: Result<Readonly<Record<string, string>> | undefined>;
    readonly istiod?: Result<readonly IstiodPodFacts[]>;
    /** Secrets labelled istio/multiCluster=true in istio-system. */
    readonly remoteSecrets?: Result<readonly RemoteSecretFacts[]>;
    /** The east-west gateway Service's load-balancer addresses; undefined when the Service does not exist. */
    readonly gateway?: Result<readonly string[] | undefined>;
}

export interface CheckOptions {
    readonly now: Date;
    /** WARN when an intermediate has fewer days left (and in any case in its last third, when `pulumi up` re-issues it). */
    readonly warnDays: number;
    /** WARN when the root has fewer days left: rotating a root takes phases on every cluster. */
    readonly rootWarnDays: number;
}

export const DEFAULT_OPTIONS = { warnDays: 30, rootWarnDays: 180 } as const;

/** Write verbs a remote secret's token must not have anywhere (the reader role's own exceptions aside, see test/e2e/README.md). */
export const FORBIDDEN_WRITES: readonly (readonly [string, string])[] = ["create", "delete"].flatMap((verb) =>
    ["*", "pods", "services", "secrets", "namespaces", "deployments.apps", "clusterrolebindings.rbac.authorization.k8s.io"].map((res) => [verb, res] as const),
);

const REMOTE_SECRET_PREFIX = "istio-remote-secret-";
const MULTICLUSTER_LABEL = "istio/multiCluster";
const CLUSTER_ANNOTATION = "networking.istio.io/cluster";
const CACERTS_KEYS = ["ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"];
const DAY = 24 * 3600 * 1000;

// ------------------------------------------------------------------ istiod's view of the mesh

/** One entry of istiod's /debug/clusterz (pkg/cluster/debug.go DebugInfo). */
export interface ClusterzEntry {
    readonly id: string;
    readonly secretName?: string;
    readonly syncStatus: string;
}

/** Remote clusters istiod lists (its own config cluster, which has no secret, left out). */
export function parseClusterz(json: string, self: string): ClusterzEntry[] {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed)) throw new Error("not a JSON list");
    return parsed.map((e) => ({ id: String(e?.id ?? ""), secretName: e?.secretName || undefined, syncStatus: String(e?.syncStatus ?? "") })).filter((e) => !(e.id === self && !e.secretName));
}

function istiodRows(primary: string, expected: readonly string[], facts: ClusterFacts): Row[] {
    const check = "istiod sync";
    const istiod = facts.istiod;
    if (!istiod) return [];
    if (!istiod.ok) return [{ status: "FAIL", check, subject: primary, detail: `cannot list istiod pods: ${istiod.error}` }];
    if (istiod.value.length === 0) return [{ status: "FAIL", check, subject: primary, detail: "no running istiod pod" }];
    return istiod.value.map((pod): Row => {
        const subject = istiod.value.length > 1 ? `${primary} ${pod.name}` : primary;
        if (!pod.clusterz?.ok) return { status: "FAIL", check, subject, detail: `cannot read ${pod.name}'s /debug/clusterz (port-forward to its monitoring port): ${pod.clusterz?.error ?? "not read"}` };
        let entries: ClusterzEntry[];
        try {
            entries = parseClusterz(pod.clusterz.value, primary);
        } catch (e) {
            return { status: "FAIL", check, subject, detail: `${pod.name}'s /debug/clusterz does not parse: ${(e as Error).message}` };
        }
        const row = classifySync(expected, entries, subject, check);
        return pod.ready || row.status === "FAIL" ? row : { ...row, status: "WARN", detail: `${pod.name} is not Ready; ${row.detail}` };
    });
}

/**
 * FAIL: an expected cluster absent, timed out or closed; WARN: still syncing, registered through a
 * secret the stack does not make, or a cluster the stack does not know.
 */
export function classifySync(expected: readonly string[], entries: readonly ClusterzEntry[], subject: string, check = "istiod sync"): Row {
    const parts: string[] = [];
    const found: Status[] = [];
    for (const c of expected) {
        const e = entries.find((x) => x.id === c);
        const s = e?.syncStatus;
        found.push(s === "synced" ? "PASS" : s === "syncing" ? "WARN" : "FAIL");
        parts.push(s === "synced" ? `${c} synced` : s === "syncing" ? `${c} still syncing` : `${c} ${s ? s.toUpperCase() : "NOT REGISTERED"}`);
        const ours = `istio-system/${REMOTE_SECRET_PREFIX}${c}`;
        if (e?.secretName && e.secretName !== ours) {
            found.push("WARN");
            parts[parts.length - 1] += ` (through ${e.secretName}, not ${ours})`;
        }
    }
    for (const e of entries) {
        if (expected.includes(e.id)) continue;
        found.push("WARN");
        parts.push(`${e.id} ${e.syncStatus} (not in the stack${e.secretName ? `; ${e.secretName}` : ""})`);
    }
    return { status: worst(found), check, subject, detail: parts.join(", ") || "watches no cluster" };
}

export function worst(statuses: readonly Status[]): Status {
    return statuses.includes("FAIL") ? "FAIL" : statuses.includes("WARN") ? "WARN" : "PASS";
}

// ------------------------------------------------------------------ certificates

export interface PemCertificate {
    readonly cert: X509Certificate;
    readonly der: Buffer;
}

export function splitPem(text: string): string[] {
    return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export function parseCertificates(text: string): PemCertificate[] {
    return splitPem(text).map((pem) => {
        const cert = new X509Certificate(pem);
        return { cert, der: cert.raw };
    });
}

export function fingerprint(der: Buffer): string {
    return createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g)!.slice(0, 8).join(":");
}

/** Days left, rounded down; negative once expired. */
export function daysLeft(cert: X509Certificate, now: Date): number {
    return Math.floor((new Date(cert.validTo).getTime() - now.getTime()) / DAY);
}

/** Problems with `cert` as issued by `issuer` (signature, names, CA flag, validity at `now`). */
export function chainProblems(cert: X509Certificate, issuer: X509Certificate, now: Date): string[] {
    const problems: string[] = [];
    if (!cert.checkIssued(issuer)) problems.push(`its issuer (${oneLine(cert.issuer)}) is not ${oneLine(issuer.subject)}`);
    else if (!cert.verify(issuer.publicKey)) problems.push("its signature does not verify with the root's key");
    if (!issuer.ca) problems.push("the root is not a CA");
    if (!cert.ca) problems.push("it is not a CA (istiod signs workloads with it)");
    if (new Date(cert.validFrom) > now) problems.push(`not valid before ${cert.validFrom}`);
    return problems;
}

export function oneLine(dn: string): string {
    return dn.split("\n").join(", ");
}

export function lifetimeRow(check: string, subject: string, cert: X509Certificate, now: Date, warnDays: number, renewalFrom?: Date): Row {
    const left = daysLeft(cert, now);
    const until = new Date(cert.validTo).toISOString().slice(0, 10);
    if (new Date(cert.validTo) <= now) return { status: "FAIL", check, subject, detail: `EXPIRED on ${until}` };
    if (new Date(cert.validFrom) > now) return { status: "FAIL", check, subject, detail: `not valid before ${new Date(cert.validFrom).toISOString().slice(0, 10)}` };
    if (left < warnDays) return { status: "WARN", check, subject, detail: `${left} days left (until ${until}), under ${warnDays}` };
    if (renewalFrom && now >= renewalFrom) return { status: "WARN", check, subject, detail: `${left} days left (until ${until}): in its last third, the next pulumi up re-issues it` };
    return { status: "PASS", check, subject, detail: `${left} days left (until ${until})` };
}

interface CacertsView {
    /** Every root in root-cert.pem: one, or two during a root rotation (stacks/rotation.ts). */
    readonly trusted: readonly PemCertificate[];
    /** The trusted root that signed ca-cert.pem. */
    readonly issuing?: PemCertificate;
}

function cacertsRows(primary: string, facts: ClusterFacts, opts: CheckOptions): { rows: Row[]; view?: CacertsView } {
    const check = "cacerts chain";
    const r = facts.cacerts;
    if (!r) return { rows: [] };
    if (!r.ok) return { rows: [{ status: "FAIL", check, subject: primary, detail: `cannot read istio-system/cacerts: ${r.error}` }] };
    if (!r.value) return { rows: [{ status: "FAIL", check, subject: primary, detail: "istio-system/cacerts does not exist: istiod signs with a self-signed CA of its own" }] };
    const data = r.value;
    const missing = CACERTS_KEYS.filter((k) => !data[k]);
    if (missing.length > 0) return { rows: [{ status: "FAIL", check, subject: primary, detail: `cacerts lacks ${missing.join(", ")}` }] };
    let inter: PemCertificate, trusted: PemCertificate[], chain: PemCertificate[];
    try {
        [inter] = parseCertificates(data["ca-cert.pem"]);
        trusted = parseCertificates(data["root-cert.pem"]);
        chain = parseCertificates(data["cert-chain.pem"]);
        if (!inter || trusted.length === 0) throw new Error("ca-cert.pem or root-cert.pem holds no certificate");
    } catch (e) {
        return { rows: [{ status: "FAIL", check, subject: primary, detail: `a certificate does not parse: ${(e as Error).message}` }] };
    }
    const problems: string[] = [];
    for (const root of trusted) if (!root.cert.checkIssued(root.cert) || !root.cert.verify(root.cert.publicKey)) problems.push(`root-cert.pem: ${cn(root)} is not self-signed`);
    // During a rotation root-cert.pem holds both roots and the intermediate was signed by one of
    // them; istiod verifies ca-cert.pem against that pool (security/pkg/pki/util/keycertbundle.go).
    const named = trusted.filter((root) => inter.cert.checkIssued(root.cert));
    const issuing = named.find((root) => inter.cert.verify(root.cert.publicKey));
    const against = issuing ?? named[0] ?? trusted[0];
    const noneOf = `its issuer (${oneLine(inter.cert.issuer)}) is none of the ${trusted.length} roots in root-cert.pem (${trusted.map(cn).join(", ")})`;
    const chainIssues = chainProblems(inter.cert, against.cert, opts.now).map((p) => (named.length === 0 && trusted.length > 1 && p.startsWith("its issuer") ? noneOf : p));
    problems.push(...chainIssues.map((p) => `ca-cert.pem: ${p}`));
    if (chain.length === 0 || !chain[0].der.equals(inter.der)) problems.push("cert-chain.pem does not start with ca-cert.pem");
    else if (issuing && !chain[chain.length - 1].der.equals(issuing.der)) problems.push("cert-chain.pem does not end with the root that signed ca-cert.pem");
    try {
        if (!inter.cert.checkPrivateKey(createPrivateKey(data["ca-key.pem"]))) problems.push("ca-key.pem is not ca-cert.pem's key");
    } catch (e) {
        problems.push(`ca-key.pem does not parse: ${(e as Error).message}`);
    }
    const locality = /(^|\n)L=([^\n]*)/.exec(inter.cert.subject)?.[2];
    const rows: Row[] = [];
    const trusts = trusted.length > 1 ? `; root-cert.pem trusts ${trusted.length} roots` : "";
    if (problems.length > 0) rows.push({ status: "FAIL", check, subject: primary, detail: problems.join("; ") });
    else rows.push({ status: "PASS", check, subject: primary, detail: `${oneLine(inter.cert.subject)} → ${cn(issuing!)}; cert-chain.pem and ca-key.pem match${trusts}` });
    if (locality !== primary) rows.push({ status: "WARN", check: "cacerts owner", subject: primary, detail: `the intermediate is L=${locality ?? "(none)"}, not L=${primary}: another cluster's CA?` });
    const validity = new Date(inter.cert.validTo).getTime() - new Date(inter.cert.validFrom).getTime();
    const renewalFrom = new Date(new Date(inter.cert.validTo).getTime() - validity / 3);
    rows.push(lifetimeRow("intermediate lifetime", primary, inter.cert, opts.now, opts.warnDays, renewalFrom));
    return { rows, view: { trusted, issuing } };
}

/** A root's common name, or its whole subject when it has none. */
function cn(c: PemCertificate): string {
    const m = /(?:^|\n)CN=([^\n]*)/.exec(c.cert.subject);
    return m ? m[1] : oneLine(c.cert.subject);
}

const sameSet = (a: readonly PemCertificate[], b: readonly PemCertificate[]) => a.length === b.length && a.every((x) => b.some((y) => y.der.equals(x.der)));
const has = (set: readonly PemCertificate[], c: PemCertificate) => set.some((x) => x.der.equals(c.der));

/**
 * One trust across the mesh: every primary trusts the roots the stack says it trusts
 * (`trustBundlePem`, two during a rotation) and issues from the stack's issuing root
 * (`rootCertificatePem`); above all, every primary trusts the root every other one issues from,
 * or workloads of one cluster are refused by the other's.
 */
function rootRows(primaries: readonly string[], views: ReadonlyMap<string, CacertsView>, outputs: MeshOutputs | undefined, opts: CheckOptions): Row[] {
    const check = "root shared";
    const subject = "mesh";
    const rows: Row[] = [];
    const seen = primaries.flatMap((p) => (views.get(p) ? [[p, views.get(p)!] as const] : []));
    let stackIssuing: PemCertificate | undefined;
    let stackTrusted: PemCertificate[] = [];
    if (outputs?.rootCertificatePem) {
        try {
            stackIssuing = parseCertificates(outputs.rootCertificatePem)[0];
            // Stacks deployed before root rotation existed export the root alone.
            stackTrusted = parseCertificates(outputs.trustBundlePem ?? outputs.rootCertificatePem);
        } catch {
            stackIssuing = undefined;
        }
        if (!stackIssuing || stackTrusted.length === 0) rows.push({ status: "FAIL", check, subject, detail: "the stack outputs rootCertificatePem or trustBundlePem do not parse" });
    }
    const reference = stackTrusted.length > 0 ? stackTrusted : seen[0]?.[1].trusted;
    if (!reference) return rows;
    const problems: string[] = [];
    const source = stackTrusted.length > 0 ? "the stack output trustBundlePem" : `${seen[0][0]}'s`;
    const differ = seen.filter(([, v]) => !sameSet(v.trusted, reference)).map(([p]) => p);
    if (differ.length > 0) problems.push(`root-cert.pem of ${differ.join(", ")} differs from ${source}`);
    if (stackIssuing) {
        const elsewhere = seen.filter(([, v]) => v.issuing && !v.issuing.der.equals(stackIssuing!.der)).map(([p]) => p);
        if (elsewhere.length > 0) problems.push(`the intermediate of ${elsewhere.join(", ")} is not signed by the stack output rootCertificatePem (${cn(stackIssuing)})`);
    }
    for (const [p, v] of seen) {
        const refusing = seen.filter(([q, w]) => q !== p && v.issuing && !has(w.trusted, v.issuing)).map(([q]) => q);
        if (refusing.length > 0) problems.push(`${refusing.join(", ")} do${refusing.length === 1 ? "es" : ""} not trust ${cn(v.issuing!)}, which signs ${p}'s intermediate: workloads of ${p} are refused there`);
    }
    const holders = [...seen.map(([p]) => p), ...(stackTrusted.length > 0 ? ["the stack output"] : [])].join(", ");
    if (problems.length > 0) rows.push({ status: "FAIL", check, subject, detail: problems.join("; ") });
    else if (reference.length === 1) rows.push({ status: "PASS", check, subject, detail: `${holders}: one root, ${oneLine(reference[0].cert.subject)}, SHA-256 ${fingerprint(reference[0].der)}…` });
    else {
        const issuing = stackIssuing ?? seen.find(([, v]) => v.issuing)?.[1].issuing;
        rows.push({
            status: "PASS",
            check,
            subject,
            detail: `${holders}: ${reference.length} roots trusted (a root rotation): ${reference.map((r) => `${cn(r)} ${fingerprint(r.der).slice(0, 11)}…`).join(", ")}; issuing from ${issuing ? cn(issuing) : "?"}`,
        });
    }
    for (const root of reference) {
        const row = lifetimeRow("root lifetime", subject, root.cert, opts.now, opts.rootWarnDays);
        rows.push(reference.length > 1 ? { ...row, detail: `${cn(root)}: ${row.detail}` } : row);
    }
    return rows;
}

// ------------------------------------------------------------------ remote secrets

export interface RemoteKubeconfig {
    readonly server?: string;
    readonly token?: string;
    readonly caData?: string;
    /** What istiod would refuse or not find (pkg/kube/util.go sanitizeKubeConfig, clientcmd.Validate). */
    readonly problems: readonly string[];
}

/**
 * The kubeconfig in a remote secret, judged as istiod judges it: exec, auth providers other than
 * oidc, token files and client certificate files are refused; the current context must name a
 * cluster with a server. The check then logs in with its bearer token.
 */
export function parseRemoteKubeconfig(text: string): RemoteKubeconfig {
    let doc: any;
    try {
        doc = YAML.parse(text);
    } catch (e) {
        return { problems: [`not YAML: ${(e as Error).message}`] };
    }
    const problems: string[] = [];
    for (const u of doc?.users ?? []) {
        const user = u?.user ?? {};
        if (user.exec) problems.push(`user ${u.name}: exec is not allowed`);
        if (user["auth-provider"] && user["auth-provider"].name !== "oidc") problems.push(`user ${u.name}: auth provider ${user["auth-provider"].name} is not allowed`);
        if (user.tokenFile) problems.push(`user ${u.name}: tokenFile is not allowed`);
        if (user["client-certificate"]) problems.push(`user ${u.name}: clientCertificate is not allowed`);
        if (user["client-key"]) problems.push(`user ${u.name}: clientKey is not allowed`);
    }
    const ctxName = doc?.["current-context"];
    const ctx = (doc?.contexts ?? []).find((c: any) => c?.name === ctxName)?.context;
    if (!ctx) return { problems: [...problems, `no context "${ctxName ?? ""}" (current-context)`] };
    const cluster = (doc?.clusters ?? []).find((c: any) => c?.name === ctx.cluster)?.cluster;
    const user = (doc?.users ?? []).find((u: any) => u?.name === ctx.user)?.user;
    if (!cluster?.server) problems.push(`context ${ctxName} names no cluster with a server`);
    if (!user?.token) problems.push(`context ${ctxName} has no bearer token (the reader ServiceAccount's)`);
    return { server: cluster?.server, token: user?.token, caData: cluster?.["certificate-authority-data"], problems };
}

function remoteSecretRows(watcher: string, expected: readonly string[], facts: ClusterFacts, outputs: MeshOutputs | undefined): Row[] {
    const r = facts.remoteSecrets;
    if (!r) return [];
    if (!r.ok) return [{ status: "FAIL", check: "remote secrets", subject: watcher, detail: `cannot list remote secrets: ${r.error}` }];
    const rows: Row[] = [];
    const byName = new Map(r.value.map((s) => [s.name, s]));
    for (const watched of expected) {
        const subject = `${watcher} → ${watched}`;
        const name = `${REMOTE_SECRET_PREFIX}${watched}`;
        const s = byName.get(name);
        byName.delete(name);
        if (!s) {
            rows.push({ status: "FAIL", check: "remote secret", subject, detail: `istio-system/${name} is missing: istiod in ${watcher} cannot watch ${watched}` });
            continue;
        }
        rows.push(...oneRemoteSecret(subject, watched, s, outputs?.clusters?.[watched]?.apiServer));
    }
    for (const s of byName.values()) {
        rows.push({
            status: "WARN",
            check: "remote secret",
            subject: watcher,
            detail: expected.length === 0 ? `istio-system/${s.name}: a remote holds a remote secret, which no istiod reads` : `istio-system/${s.name} is not one the stack makes (keys ${Object.keys(s.data).join(", ")})`,
        });
    }
    return rows;
}

function oneRemoteSecret(subject: string, watched: string, s: RemoteSecretFacts, apiServer: string | undefined): Row[] {
    const form: string[] = [];
    if (s.labels[MULTICLUSTER_LABEL] !== "true") form.push(`label ${MULTICLUSTER_LABEL} is not "true"`);
    if (s.annotations[CLUSTER_ANNOTATION] !== watched) form.push(`annotation ${CLUSTER_ANNOTATION} is "${s.annotations[CLUSTER_ANNOTATION] ?? ""}"`);
    const keys = Object.keys(s.data);
    // istiod takes each data key as a cluster ID: another key is another (unknown) cluster.
    if (keys.length !== 1 || keys[0] !== watched) form.push(`data keys are [${keys.join(", ")}], not [${watched}]`);
    const text = s.data[watched];
    if (text === undefined) return [{ status: "FAIL", check: "remote secret", subject, detail: form.join("; ") }];
    const kc = parseRemoteKubeconfig(text);
    form.push(...kc.problems);
    if (apiServer && kc.server && kc.server !== apiServer) form.push(`server ${kc.server} is not ${watched}'s apiServer output ${apiServer}`);
    const rows: Row[] = [
        form.length > 0
            ? { status: "FAIL", check: "remote secret", subject, detail: form.join("; ") }
            : { status: "PASS", check: "remote secret", subject, detail: `${s.name}: key ${watched}, token user, server ${kc.server}` },
    ];
    const probe = s.probes[watched];
    if (!probe) return rows;
    if (!probe.list.ok) {
        rows.push(
            probe.list.unreachable
                ? { status: "WARN", check: "remote login", subject, detail: `${kc.server} is not reachable from here (${probe.list.error}); istiod sync above tells whether it is from ${subject.split(" ")[0]}` }
                : { status: "FAIL", check: "remote login", subject, detail: `listing Services with the token fails: ${probe.list.error}` },
        );
        return rows;
    }
    rows.push({ status: "PASS", check: "remote login", subject, detail: `token lists ${probe.list.value} Services` });
    if (!probe.writes) return rows;
    if (!probe.writes.ok) {
        rows.push({ status: "FAIL", check: "remote read-only", subject, detail: `SelfSubjectAccessReview failed: ${probe.writes.error}` });
        return rows;
    }
    const allowed = Object.entries(probe.writes.value).filter(([, yes]) => yes).map(([what]) => what);
    rows.push(
        allowed.length > 0
            ? { status: "FAIL", check: "remote read-only", subject, detail: `the token may ${allowed.join(", ")} in ${watched}` }
            : { status: "PASS", check: "remote read-only", subject, detail: `create and delete denied (${Object.keys(probe.writes.value).length} reviews)` },
    );
    return rows;
}

// ------------------------------------------------------------------ the whole mesh

function gatewayRows(name: string, facts: ClusterFacts, outputs: MeshOutputs | undefined): Row[] {
    const check = "east-west gateway";
    const g = facts.gateway;
    if (!g) return [];
    if (!g.ok) return [{ status: "FAIL", check, subject: name, detail: `cannot read istio-system/istio-eastwestgateway: ${g.error}` }];
    if (!g.value) return [{ status: "FAIL", check, subject: name, detail: "Service istio-system/istio-eastwestgateway does not exist" }];
    if (g.value.length === 0) return [{ status: "FAIL", check, subject: name, detail: "the load balancer has no address" }];
    const want = outputs?.clusters?.[name]?.eastWestGatewayAddress;
    if (want && !g.value.includes(want)) return [{ status: "FAIL", check, subject: name, detail: `address ${g.value.join(", ")}, but the stack output says ${want}: remotes and other networks use that one` }];
    return [{ status: "PASS", check, subject: name, detail: `${g.value.join(", ")}${want ? " (= stack output)" : ""}` }];
}

/** Every row for the mesh, in the order an on-call engineer reads them. */
export function evaluate(plan: MeshPlan, outputs: MeshOutputs | undefined, facts: ReadonlyMap<string, ClusterFacts>, opts: CheckOptions): Row[] {
    const rows: Row[] = [];
    const names = plan.clusters.map((p) => p.cluster.name);
    const reachable = new Set<string>();
    for (const name of names) {
        const f = facts.get(name);
        if (!f) {
            rows.push({ status: "FAIL", check: "api server", subject: name, detail: `not checked: no credentials (--kubeconfig ${name}=FILE or --context ${name}=CONTEXT)` });
            continue;
        }
        if (!f.api.ok) rows.push({ status: "FAIL", check: "api server", subject: name, detail: `unreachable with the admin credential: ${f.api.error}` });
        else {
            reachable.add(name);
            rows.push({ status: "PASS", check: "api server", subject: name, detail: `${f.api.value.server}, Kubernetes ${f.api.value.version}` });
        }
    }
    const primaries = plan.clusters.filter((p) => p.isPrimary && reachable.has(p.cluster.name));
    for (const p of primaries) rows.push(...istiodRows(p.cluster.name, p.watches, facts.get(p.cluster.name)!));
    const views = new Map<string, CacertsView>();
    const caRows: Row[] = [];
    for (const p of primaries) {
        const { rows: r, view } = cacertsRows(p.cluster.name, facts.get(p.cluster.name)!, opts);
        caRows.push(...r);
        if (view) views.set(p.cluster.name, view);
    }
    rows.push(...rootRows(primaries.map((p) => p.cluster.name), views, outputs, opts), ...caRows);
    for (const p of plan.clusters.filter((x) => reachable.has(x.cluster.name))) rows.push(...remoteSecretRows(p.cluster.name, p.watches, facts.get(p.cluster.name)!, outputs));
    for (const p of plan.clusters.filter((x) => x.eastWestGateway && reachable.has(x.cluster.name))) rows.push(...gatewayRows(p.cluster.name, facts.get(p.cluster.name)!, outputs));
    return rows;
}

// ------------------------------------------------------------------ output

export function summary(rows: readonly Row[]): string {
    const n = (s: Status) => rows.filter((r) => r.status === s).length;
    return `${rows.length} checks: ${n("PASS")} passed, ${n("WARN")} warnings, ${n("FAIL")} failed`;
}

/** 1 on any FAIL, else 0 (warnings are for reading). */
export function exitCode(rows: readonly Row[]): number {
    return rows.some((r) => r.status === "FAIL") ? 1 : 0;
}

/** A plain-text table: STATUS, CHECK, WHERE, DETAILS; details are never cut. */
export function renderTable(rows: readonly Row[]): string {
    const head = ["STATUS", "CHECK", "WHERE", "DETAILS"];
    const cells = rows.map((r) => [r.status, r.check, r.subject, r.detail]);
    const width = [0, 1, 2].map((i) => Math.max(head[i].length, ...cells.map((c) => c[i].length)));
    const line = (c: string[]) => [0, 1, 2].map((i) => c[i].padEnd(width[i])).join("  ") + "  " + c[3];
    return [line(head), ...cells.map(line), "", summary(rows)].join("\n") + "\n";
}
