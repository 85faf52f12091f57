/**
 * Day two under mocks: what each change to a running mesh creates, changes and deletes. Anything
 * outside the expected sets fails, so a refactor that starts touching unrelated clusters shows here.
 */
import { istiodValues } from "../components/istio/values";
import { ConfigError, MeshConfig, parseMeshConfig } from "../stacks/config";
import { deployedProblems } from "../stacks/deployed";
import { takesRemoteSecretUpdates } from "../stacks/istio-defects";
import { planMesh } from "../stacks/topology";
import { graphDiff } from "./support/diff";
import { runMesh, writeKubeconfig } from "./support/run";
import { twoPrimariesAndRemote } from "./support/topologies";

type Raw = { clusters: Record<string, unknown>[] } & Record<string, unknown>;
const base = () => twoPrimariesAndRemote() as Raw;
const kubeconfig = writeKubeconfig({ onprem: "https://onprem.example.internal:6443" });
const existing = (name: string, extra: Record<string, unknown>) => ({ name, provider: "existing", existing: { kubeconfig }, ...extra });
const withClusters = (raw: Raw, clusters: Record<string, unknown>[]) => parseMeshConfig({ ...raw, clusters });

/**
 * The one change outside a cluster's own part when clusters come and go: the global Prometheus
 * (in aws-east) federates every cluster, so its file lists one job more or less (the config reloader
 * picks it up; nothing restarts).
 */
const GLOBAL_VIEW = { "mesh-aws-east-observability-global-prometheus-config": ["data"] };

/**
 * Whether a primary's istiod values differ between two configs only in the failover derived from the
 * clusters' regions (meshConfig.localityLbSetting): a ConfigMap change istiod reloads, no restart.
 */
function failoverOnly(before: MeshConfig, after: MeshConfig, primary: string): boolean {
    const values = (config: MeshConfig) => {
        const v = istiodValues(config, planMesh(config).clusters.find((c) => c.cluster.name === primary)!, { gatewayAddress: "203.0.113.1" }) as any;
        const failover = v.meshConfig.localityLbSetting;
        delete v.meshConfig.localityLbSetting;
        return { v, failover };
    };
    const [a, b] = [values(before), values(after)];
    return JSON.stringify(a.v) === JSON.stringify(b.v) && JSON.stringify(a.failover) !== JSON.stringify(b.failover);
}

/** Every resource a cluster of the mesh owns, as the program names them. */
const own = (cluster: string, names: string[]) => names.filter((n) => n.startsWith(`mesh-${cluster}-`) || n.startsWith(`mesh-pki-${cluster}-`));

describe("adding a cluster creates its part and the remote secrets that join it, and changes nothing else", () => {
    test("a primary on a new network", async () => {
        const d = await graphDiff(parseMeshConfig(base()), withClusters(base(), [...base().clusters, existing("onprem", { network: "net-dc" })]));
        expect(d.deleted).toEqual([]);
        expect(d.changed).toEqual(GLOBAL_VIEW);
        expect(d.created.filter((n) => !own("onprem", [n]).length)).toEqual(["mesh-aws-east-istio-remote-onprem", "mesh-azure-west-istio-remote-onprem"]);
        expect(own("onprem", d.created)).toEqual(expect.arrayContaining(["mesh-onprem-istio-istiod", "mesh-onprem-istio-cacerts", "mesh-pki-onprem-cert", "mesh-onprem-istio-remote-aws-west"]));
    });

    test("a remote of a primary that already serves one", async () => {
        const d = await graphDiff(parseMeshConfig(base()), withClusters(base(), [...base().clusters, existing("edge", { network: "net-edge", role: "remote", primary: "aws-east" })]));
        expect([d.deleted, d.changed]).toEqual([[], GLOBAL_VIEW]);
        expect(d.created.filter((n) => !own("edge", [n]).length)).toEqual(["mesh-aws-east-istio-remote-edge", "mesh-azure-west-istio-remote-edge"]);
    });

    test("the first remote of a primary: that primary's istiod starts serving remotes (its only restart), and exposes istiod", async () => {
        const d = await graphDiff(parseMeshConfig(base()), withClusters(base(), [...base().clusters, existing("edge", { network: "net-westeurope", role: "remote", primary: "azure-west" })]));
        expect(d.deleted).toEqual([]);
        expect(d.changed).toEqual({ "mesh-azure-west-istio-istiod": ["values"], ...GLOBAL_VIEW });
        expect(d.created.filter((n) => !own("edge", [n]).length)).toEqual([
            "mesh-aws-east-istio-remote-edge",
            "mesh-azure-west-istio-istiod-gateway",
            "mesh-azure-west-istio-istiod-vs",
            "mesh-azure-west-istio-remote-edge",
        ]);
    });
});

describe("a region joining or leaving the mesh changes the derived failover on every primary, and nothing else (besides the global Prometheus's file, which follows any cluster)", () => {
    test("a cluster in a new region: every primary's istiod values (meshConfig.localityLbSetting only)", async () => {
        const after = withClusters(base(), [...base().clusters, existing("onprem", { network: "net-dc", region: "dc-1" })]);
        const d = await graphDiff(parseMeshConfig(base()), after);
        expect([d.deleted, d.changed]).toEqual([[], { "mesh-aws-east-istio-istiod": ["values"], "mesh-azure-west-istio-istiod": ["values"], ...GLOBAL_VIEW }]);
        for (const p of ["aws-east", "azure-west"]) expect(failoverOnly(parseMeshConfig(base()), after, p)).toBe(true);
        expect(after.traffic.localityLoadBalancing.failover.map((f) => f.from)).toEqual(["us-east-1", "westeurope", "us-west-2", "dc-1"]);
    });

    test("with failover given in config, the same cluster changes nothing else", async () => {
        const failover = [
            { from: "us-east-1", to: "us-west-2" },
            { from: "us-west-2", to: "us-east-1" },
            { from: "westeurope", to: "us-east-1" },
        ];
        const given = { ...base(), traffic: { localityLoadBalancing: { failover } } };
        const d = await graphDiff(parseMeshConfig(given), withClusters(given, [...base().clusters, existing("onprem", { network: "net-dc", region: "dc-1" })]));
        expect([d.deleted, d.changed]).toEqual([[], GLOBAL_VIEW]);
    });
});

describe("removing a cluster deletes its part and the remote secrets that watch it, and changes nothing else", () => {
    test("a primary that serves no remote (its region leaves the derived failover: see below)", async () => {
        const after = withClusters(base(), base().clusters.filter((c) => c.name !== "azure-west"));
        const d = await graphDiff(parseMeshConfig(base()), after);
        expect([d.created, d.changed]).toEqual([[], { "mesh-aws-east-istio-istiod": ["values"], ...GLOBAL_VIEW }]);
        expect(d.deleted.filter((n) => !own("azure-west", [n]).length)).toEqual(["mesh-aws-east-istio-remote-azure-west"]);
        expect(failoverOnly(parseMeshConfig(base()), after, "aws-east")).toBe(true);
    });

    test("a remote: its primary stops serving remotes once it has none left", async () => {
        const d = await graphDiff(parseMeshConfig(base()), withClusters(base(), base().clusters.filter((c) => c.name !== "aws-west")));
        expect(d.created).toEqual([]);
        // azure-west's istiod: only the derived failover, which no longer names us-west-2.
        expect(d.changed).toEqual({ "mesh-aws-east-istio-istiod": ["values"], "mesh-azure-west-istio-istiod": ["values"], ...GLOBAL_VIEW });
        expect(failoverOnly(parseMeshConfig(base()), withClusters(base(), base().clusters.filter((c) => c.name !== "aws-west")), "azure-west")).toBe(true);
        expect(d.deleted.filter((n) => !own("aws-west", [n]).length)).toEqual([
            "mesh-aws-east-istio-istiod-gateway",
            "mesh-aws-east-istio-istiod-vs",
            "mesh-aws-east-istio-remote-aws-west",
            "mesh-azure-west-istio-remote-aws-west",
        ]);
    });

    test("a primary that still serves remotes is refused, saying what to do first", () => {
        const raw = base();
        expect(() => withClusters(raw, raw.clusters.filter((c) => c.name !== "aws-east"))).toThrow(ConfigError);
        expect(() => withClusters(raw, raw.clusters.filter((c) => c.name !== "aws-east"))).toThrow(
            /mesh:clusters\[1\]\.primary: "aws-east" is not the name of a cluster in mesh:clusters; a primary that serves remotes cannot be removed before they are moved to another primary or removed/,
        );
    });
});

describe("intermediate CA renewal", () => {
    test("changes each primary's cacerts and nothing else: not the root, no remote secret, no istiod", async () => {
        const d = await graphDiff(parseMeshConfig(base()), parseMeshConfig(base()), { after: { intermediateIssue: 2 } });
        expect(d).toEqual({ created: [], deleted: [], changed: { "mesh-aws-east-istio-cacerts": ["stringData"], "mesh-azure-west-istio-cacerts": ["stringData"] } });
    });

    test("...in place: every cluster's provider updates Secrets rather than replacing them", async () => {
        const { mocks } = await runMesh(parseMeshConfig(base()));
        const providers = mocks.ofType("pulumi:providers:kubernetes");
        expect(providers.map((p) => p.name).sort()).toEqual(["mesh-aws-east-k8s", "mesh-aws-west-k8s", "mesh-azure-west-k8s"]);
        for (const p of providers) expect([p.name, p.inputs.enableSecretMutable]).toEqual([p.name, "true"]);
    });

    test("re-issuing on demand: mesh:pki.intermediateGeneration replaces every intermediate's key (so request and certificate), never the root", async () => {
        // Always recorded (the engine never triggers on a missing one), 1 at first.
        const triggers = async (raw: Record<string, unknown>) =>
            (await runMesh(parseMeshConfig(raw))).mocks.resources.filter((x) => x.replacementTrigger !== undefined).map((r) => [r.name, r.replacementTrigger]);
        expect(await triggers(base())).toEqual([
            ["mesh-pki-aws-east-key", 1],
            ["mesh-pki-azure-west-key", 1],
        ]);
        expect(await triggers({ ...base(), pki: { ...(base().pki as object), intermediateGeneration: 2 } })).toEqual([
            ["mesh-pki-aws-east-key", 2],
            ["mesh-pki-azure-west-key", 2],
        ]);
        const second = (await runMesh(parseMeshConfig({ ...base(), pki: { ...(base().pki as object), intermediateGeneration: 2 } }))).mocks;
        const csr = second.named("mesh-pki-aws-east-csr");
        expect(csr.dependsOn).toContain("mesh-pki-aws-east-key");
    });
});

describe("reader token rotation", () => {
    test("a new generation adds a token per cluster, switches every remote secret to it in place, and drops the old token", async () => {
        const d = await graphDiff(parseMeshConfig(base()), parseMeshConfig({ ...base(), remoteSecrets: { tokenGeneration: 2 } }));
        const clusters = ["aws-east", "aws-west", "azure-west"];
        expect(d.created).toEqual(clusters.map((c) => `mesh-${c}-istio-reader-token-2`));
        expect(d.deleted).toEqual(clusters.map((c) => `mesh-${c}-istio-reader-token`));
        expect(d.changed).toEqual({
            "mesh-aws-east-istio-remote-aws-west": ["data"],
            "mesh-aws-east-istio-remote-azure-west": ["data"],
            "mesh-azure-west-istio-remote-aws-east": ["data"],
            "mesh-azure-west-istio-remote-aws-west": ["data"],
        });
    });

    test("the new token Secret is istioctl's name with the generation", async () => {
        const { mocks } = await runMesh(parseMeshConfig({ ...base(), remoteSecrets: { tokenGeneration: 3 } }));
        expect(mocks.named("mesh-aws-west-istio-reader-token-3").inputs.metadata).toMatchObject({
            name: "istio-reader-service-account-istio-remote-secret-token-3",
            annotations: { "kubernetes.io/service-account.name": "istio-reader-service-account" },
        });
    });
});

describe("reader token rotation on a schedule (mesh:remoteSecrets.schedule)", () => {
    const scheduled = (today: string, remoteSecrets: Record<string, unknown> = {}) =>
        parseMeshConfig({ ...base(), remoteSecrets: { schedule: { everyDays: 90, since: "2026-01-01" }, ...remoteSecrets } }, new Date(today));

    test.each([
        ["2025-12-31T23:59:59Z", 1], // before the start: the configured generation
        ["2026-01-01T00:00:00Z", 1],
        ["2026-03-31T23:59:59Z", 1], // day 89
        ["2026-04-01T00:00:00Z", 2], // day 90: the first period is over
        ["2026-06-30T12:00:00Z", 3], // day 180
        ["2028-01-01T00:00:00Z", 9], // two years without an up: one rotation catches up, not eight
    ])("on %s the generation in effect is %d", (today, generation) => {
        expect(scheduled(today).remoteSecrets.tokenGeneration).toBe(generation);
    });

    test("the configured generation is the base the periods add to", () => {
        expect(scheduled("2026-04-01T00:00:00Z", { tokenGeneration: 5 }).remoteSecrets.tokenGeneration).toBe(6);
    });

    test("within a period every evaluation is the same graph; the first after it rotates, exactly as a bump does", async () => {
        const a = await graphDiff(scheduled("2026-01-02T00:00:00Z"), scheduled("2026-03-30T00:00:00Z"));
        expect([a.created, a.deleted, a.changed]).toEqual([[], [], {}]);
        const bump = await graphDiff(parseMeshConfig(base()), parseMeshConfig({ ...base(), remoteSecrets: { tokenGeneration: 2 } }));
        expect(await graphDiff(scheduled("2026-03-30T00:00:00Z"), scheduled("2026-04-02T00:00:00Z"))).toEqual(bump);
    });

    test("the outputs carry the generation in effect, which the next run compares with", async () => {
        const { outputs } = await runMesh(scheduled("2026-04-01T00:00:00Z"));
        expect(outputs.istio).toMatchObject({ readerTokenGeneration: 2 });
    });

    test.each([
        [{ everyDays: 0, since: "2026-01-01" }, /^mesh:remoteSecrets\.schedule\.everyDays: /],
        [{ everyDays: 90, since: "2026-02-30" }, /^mesh:remoteSecrets\.schedule\.since: must be a date like 2026-11-23 \(UTC\)/],
        [{ everyDays: 90, since: "1 Jan 2026" }, /^mesh:remoteSecrets\.schedule\.since: must be a date like/],
        [{ everyDays: 90 }, /^mesh:remoteSecrets\.schedule\.since: /],
        [{ everyDays: 90, since: "2026-01-01", at: "03:00" }, /^mesh:remoteSecrets\.schedule\.at: unknown key/],
    ])("a bad schedule %j is refused, naming the key", (schedule, message) => {
        expect(() => parseMeshConfig({ ...base(), remoteSecrets: { schedule } })).toThrow(ConfigError);
        try {
            parseMeshConfig({ ...base(), remoteSecrets: { schedule } });
        } catch (e) {
            expect((e as ConfigError).problems.some((p) => message.test(p))).toBe(true);
        }
    });

    test("a rotation the schedule brings on an istiod that cannot take it is refused, saying so", () => {
        expect(deployedProblems(scheduled("2026-03-31T00:00:00Z"), { istio: { version: "1.29.1", readerTokenGeneration: 1 } })).toEqual([]);
        expect(deployedProblems(scheduled("2026-04-01T00:00:00Z"), { istio: { version: "1.29.1", readerTokenGeneration: 1 } })).toEqual([
            expect.stringMatching(/^mesh:remoteSecrets\.tokenGeneration \(with mesh:remoteSecrets\.schedule: every 90 days since 2026-01-01\): 1 → 2 .* \(or drop the schedule until then\)$/),
        ]);
    });

    test("dropping a schedule would rotate back to an older token: refused, naming the generation to keep", () => {
        expect(deployedProblems(parseMeshConfig(base()), { istio: { version: "1.31.0", readerTokenGeneration: 3 } })).toEqual([
            "mesh:remoteSecrets.tokenGeneration: the generation in effect would go back from 3 to 1, which rotates every reader token; " +
                "set tokenGeneration: 3 to keep the tokens in use (after removing a schedule, its periods no longer count)",
        ]);
    });
});

describe("a token rotation on an Istio that cannot take it is refused", () => {
    const rotate = (version: string) => parseMeshConfig({ ...base(), istio: { version }, remoteSecrets: { tokenGeneration: 2 } });

    test.each([
        ["1.28.3", false],
        ["1.29.1", false],
        ["1.29.2", false],
        ["1.29.3", true],
        ["1.30.0", false],
        ["1.30.2", false],
        ["1.30.3", true],
        ["1.31.0-dev.eed52ebb66ad", true],
        ["1.31.0", true],
        ["2.0.0", true],
    ])("istiod %s takes an in-place remote secret update: %s", (version, safe) => {
        expect(takesRemoteSecretUpdates(version)).toBe(safe);
    });

    test("the deployed istiod cannot take it: refused, naming the key, the version and the way out", () => {
        expect(deployedProblems(rotate("1.30.3"), { istio: { version: "1.29.1", readerTokenGeneration: 1 } })).toEqual([
            "mesh:remoteSecrets.tokenGeneration: 1 → 2 updates every remote secret in place, which istiod 1.29.1 cannot take " +
                "(its secret controller deadlocks and stops watching the cluster until restarted: istio/istio#59875, #60612); " +
                "upgrade Istio first (mesh:istio.version 1.29.3, 1.30.3, 1.31.0 or later), then rotate",
        ]);
    });

    test("the configured one cannot: refused too", () => {
        expect(deployedProblems(rotate("1.30.1"), { istio: { version: "1.30.1", readerTokenGeneration: 1 } })[0]).toMatch(/which istiod 1\.30\.1 cannot take/);
    });

    test("an upgrade and no rotation, a rotation on a fixed istiod, a first up: accepted", () => {
        const upgrade = parseMeshConfig({ ...base(), istio: { version: "1.30.3" }, remoteSecrets: { tokenGeneration: 2 } });
        expect(deployedProblems(upgrade, { istio: { version: "1.29.1", readerTokenGeneration: 2 } })).toEqual([]);
        expect(deployedProblems(rotate("1.30.3"), { istio: { version: "1.30.3", readerTokenGeneration: 1 } })).toEqual([]);
        expect(deployedProblems(rotate("1.29.1"), {})).toEqual([]);
        // Stacks deployed before the generation was exported: nothing to compare with.
        expect(deployedProblems(rotate("1.29.1"), { istio: { version: "1.29.1" } })).toEqual([]);
    });
});

describe("moving a remote and promoting one", () => {
    const moved = () => base().clusters.map((c) => (c.name === "aws-west" ? { ...c, primary: "azure-west" } : c));

    test("moving a remote to another primary switches its control plane in place: its webhooks, its annotation, and which primary serves remotes", async () => {
        const d = await graphDiff(parseMeshConfig(base()), withClusters(base(), moved()));
        expect(d.created).toEqual(["mesh-azure-west-istio-istiod-gateway", "mesh-azure-west-istio-istiod-vs"]);
        expect(d.deleted).toEqual(["mesh-aws-east-istio-istiod-gateway", "mesh-aws-east-istio-istiod-vs"]);
        expect(d.changed).toEqual({
            "mesh-aws-east-istio-istiod": ["values"],
            "mesh-azure-west-istio-istiod": ["values"],
            "mesh-aws-west-istio-base": ["values"],
            "mesh-aws-west-istio-istiod": ["values"],
            "mesh-aws-west-istio-namespace": ["metadata"],
        });
    });

    test("...and the moved remote's webhooks wait until the new primary serves remotes", async () => {
        const { mocks } = await runMesh(withClusters(base(), moved()));
        expect(mocks.named("mesh-aws-west-istio-istiod").dependsOn).toEqual(
            expect.arrayContaining(["mesh-azure-west-istio-istiod", "mesh-azure-west-istio-istiod-gateway", "mesh-azure-west-istio-istiod-vs"]),
        );
    });

    test("promoting a remote gives it an intermediate, cacerts and istiod, and remote secrets for every other cluster", async () => {
        const promoted = base().clusters.map((c) => (c.name === "aws-west" ? { ...c, role: "primary", primary: undefined } : c));
        const d = await graphDiff(parseMeshConfig(base()), withClusters(base(), promoted));
        expect(d.created).toEqual([
            "mesh-aws-west-istio-cacerts",
            "mesh-aws-west-istio-cross-network-gateway",
            "mesh-aws-west-istio-default-destination-rule",
            "mesh-aws-west-istio-mtls",
            "mesh-aws-west-istio-remote-aws-east",
            "mesh-aws-west-istio-remote-azure-west",
            "mesh-pki-aws-west-cert",
            "mesh-pki-aws-west-csr",
            "mesh-pki-aws-west-key",
        ]);
        expect(d.deleted).toEqual(["mesh-aws-east-istio-istiod-gateway", "mesh-aws-east-istio-istiod-vs"]);
        expect(d.changed).toEqual({
            "mesh-aws-east-istio-istiod": ["values"],
            "mesh-aws-west-istio-base": ["values"],
            "mesh-aws-west-istio-istiod": ["values"],
            "mesh-aws-west-istio-namespace": ["metadata"],
        });
    });

    test("a running primary cannot be demoted to a remote in place; the message says how", () => {
        const config = withClusters(base(), base().clusters.map((c) => (c.name === "azure-west" ? { ...c, role: "remote", primary: "aws-east" } : c)));
        expect(deployedProblems(config, { clusters: { "aws-east": { role: "primary" }, "azure-west": { role: "primary" }, "aws-west": { role: "remote" } } })).toEqual([
            'mesh:clusters[1].role: "azure-west" runs as a primary; a primary cannot become a remote in place: remove it (mesh:clusters), `pulumi up`, then add it back as a remote',
        ]);
        expect(deployedProblems(parseMeshConfig(base()), { clusters: { "azure-west": { role: "primary" } } })).toEqual([]);
    });
});

