#!/usr/bin/env node
// Recovers a stack after an interrupted `pulumi up` (the engine killed, a CI runner cancelled), so
// that the next `up` converges (README, "Operations": an interrupted up).
//
//   scripts/recover.sh <stack> [--dry-run]     (run in the project directory, nothing else running on the stack)
//
// What an interruption leaves, and what this does about it:
// - The stack's lock (a diy backend's lock file, Pulumi Cloud's update in progress): `pulumi cancel`.
// - Pending creates: the engine never learned whether they exist. `pulumi refresh
//   --clear-pending-creates` drops them, and the next `up` creates them again. Kubernetes objects
//   are created by server-side apply, which takes an existing object over, so that converges. A
//   Helm release does not: `helm install` refuses a name that has any history ("cannot re-use a
//   name that is still in use"; even `replace` only takes uninstalled or failed releases: helm
//   pkg/action/install.go availableName), and this stays so after a failed retry, when no pending
//   create is left to point at it. So every release the program is about to create (its
//   `pulumi preview`) whose record already exists in its cluster has that record (Helm's storage
//   Secrets) removed: the objects stay, and the install adopts them, since they carry the
//   release's meta.helm.sh/release-name and -namespace (install.go existingResourceConflict).
// - Interrupted Helm upgrades and rollbacks: Helm refuses any new operation while the newest
//   revision is pending-* ("another operation (install/upgrade/rollback) is in progress"). That
//   pending revision's record is removed, so the last deployed revision is current again and the
//   next `up` upgrades from it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const RELEASE = "kubernetes:helm.sh/v3:Release";
// How the CLI writes an unknown value in JSON (sdk/go/common/resource/plugin: UnknownStringValue).
const UNKNOWN = /^04da6b54-80e4-46f7-96ec-b56ff0331ba9$/;

function usage(message) {
    if (message) console.error(`recover: ${message}`);
    console.error("usage: scripts/recover.sh <stack> [--dry-run]");
    process.exit(2);
}

const args = process.argv.slice(2);
const dryRun = args.includes("--dry-run");
const [stack, ...extra] = args.filter((a) => a !== "--dry-run");
if (!stack || extra.length > 0) usage();

const run = (cmd, argv, options = {}) => execFileSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 30, ...options });
const say = (m) => console.log(`recover: ${m}`);

/** The stack's deployment, secrets in plaintext (kubeconfigs are needed to reach the clusters). */
function deployment() {
    return JSON.parse(run("pulumi", ["stack", "export", "--stack", stack, "--show-secrets"])).deployment ?? {};
}

/** Helm's storage Secrets of one release, oldest revision first (any namespace when it is not known yet). */
function helmRecords(kube, name, namespace) {
    const where = typeof namespace === "string" && !UNKNOWN.test(namespace) ? ["-n", namespace] : ["-A"];
    const list = JSON.parse(kube("get", "secrets", ...where, "-l", `owner=helm,name=${name}`, "-o", "json"));
    return list.items
        .map((s) => ({ namespace: s.metadata.namespace, secret: s.metadata.name, status: s.metadata.labels?.status ?? "", version: Number(s.metadata.labels?.version ?? 0) }))
        .sort((a, b) => a.version - b.version);
}

/**
 * A value as `stack export --show-secrets` writes it: a secret stays wrapped in its envelope,
 * `{"4dabf18193072939515e22adb298388d": <sig>, "plaintext": <the value as JSON text>}`.
 */
function reveal(value) {
    return value && typeof value === "object" && typeof value.plaintext === "string" ? JSON.parse(value.plaintext) : value;
}

/** kubectl against the cluster of a provider recorded in the state, or undefined for a provider the state does not hold. */
function kubectlFor(providerRef, resources, tmp) {
    const provider = resources.find((r) => `${r.urn}::${r.id}` === providerRef);
    if (!provider) return undefined;
    const kubeconfig = reveal(provider.inputs?.kubeconfig);
    const context = reveal(provider.inputs?.context);
    let file = typeof kubeconfig === "string" && !kubeconfig.includes("\n") && fs.existsSync(kubeconfig) ? kubeconfig : undefined;
    if (!file && kubeconfig) {
        file = path.join(tmp, `${provider.id}.kubeconfig`);
        fs.writeFileSync(file, typeof kubeconfig === "string" ? kubeconfig : JSON.stringify(kubeconfig), { mode: 0o600 });
    }
    if (!file) throw new Error(`provider ${provider.urn} has no kubeconfig in the state`);
    const base = ["--kubeconfig", file, "--request-timeout=30s", ...(context ? ["--context", context] : [])];
    return (...argv) => run("kubectl", [...base, ...argv]);
}

/** The releases to look at: those the next up creates (orphan records) and those the state holds (pending revisions). */
function releases(resources, steps) {
    const planned = steps
        .filter((s) => (s.op === "create" || s.op === "create-replacement") && (s.newState?.type ?? s.type) === RELEASE)
        .map((s) => ({ urn: s.urn, provider: s.provider ?? s.newState?.provider, inputs: s.newState?.inputs ?? {}, creating: true }));
    const known = resources.filter((r) => r.type === RELEASE && !r.delete).map((r) => ({ urn: r.urn, provider: r.provider, inputs: r.inputs ?? {}, creating: false }));
    return [...planned, ...known];
}

/** The storage Secrets to remove for one release, and why. */
function planRelease(release, records) {
    const latest = records.at(-1);
    if (!latest) return { remove: [], why: release.creating ? "to be installed; no earlier record" : "no Helm record (the next up reinstalls it)" };
    if (release.creating) {
        return { remove: records, why: `to be installed, but a record exists (revision ${latest.version}, ${latest.status}) that the state does not know: the install adopts its objects` };
    }
    if (latest.status.startsWith("pending-")) {
        return { remove: [latest], why: `revision ${latest.version} was left ${latest.status}; revision ${records.at(-2)?.version ?? "none"} is current again` };
    }
    return { remove: [], why: `revision ${latest.version} ${latest.status}` };
}

function main() {
    try {
        if (!dryRun) run("pulumi", ["cancel", "--stack", stack, "--yes"], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
        // Nothing to cancel is the common case; the backend says so in its own words.
        say(`pulumi cancel: ${String(e.stderr ?? e.message).trim().split("\n").at(-1)}`);
    }
    const pending = deployment().pending_operations ?? [];
    say(`${pending.length} pending operation(s) in the state of ${stack}${pending.map((op) => `\n    ${op.type} ${op.resource.urn}`).join("")}`);
    if (!dryRun) {
        say("pulumi refresh --clear-pending-creates: the pending creates go, the rest is read from the clouds and clusters");
        run("pulumi", ["refresh", "--stack", stack, "--clear-pending-creates", "--yes", "--skip-preview", "--suppress-progress", "--non-interactive"], { stdio: ["ignore", "inherit", "inherit"] });
    }
    say("pulumi preview: which Helm releases the next up installs");
    const { steps = [] } = JSON.parse(run("pulumi", ["preview", "--stack", stack, "--json", "--non-interactive"], { stdio: ["ignore", "pipe", "inherit"] }));
    const { resources = [] } = deployment();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-recover-"));
    let unchecked = 0;
    try {
        for (const release of releases(resources, steps)) {
            const { name, namespace } = release.inputs;
            const label = `${release.urn.split("::").at(-1)} (Helm release ${name})`;
            try {
                const kube = kubectlFor(release.provider, resources, tmp);
                // A provider the state does not hold is a cluster this up reaches for the first time: no records to find.
                if (!kube) continue;
                const plan = planRelease(release, helmRecords(kube, name, namespace));
                say(`  ${label}: ${plan.why}`);
                for (const r of plan.remove) {
                    say(`    ${dryRun ? "would remove" : "removing"} Helm record ${r.namespace}/${r.secret}`);
                    if (!dryRun) kube("delete", "secret", "-n", r.namespace, r.secret, "--ignore-not-found");
                }
            } catch (e) {
                unchecked++;
                console.error(`recover: ${label}: ${String(e.stderr || e.message).trim()}`);
            }
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    if (unchecked > 0) {
        console.error(`recover: ${unchecked} release(s) could not be checked (is their cluster reachable?); fix that and run this again`);
        process.exit(1);
    }
    say(dryRun ? "dry run: nothing changed" : `done: pulumi up --stack ${stack}`);
}

main();
