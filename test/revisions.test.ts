/**
 * Istio upgrades by revision under mocks: what each step of a canary upgrade creates, changes and
 * deletes (stacks/revisions.ts), what the charts are given, and the config refused on the way.
 */
import { ConfigError, parseMeshConfig } from "../stacks/config";
import { graphDiff } from "./support/diff";
import { runMesh } from "./support/run";
import { twoPrimariesAndRemote } from "./support/topologies";

type Raw = Record<string, unknown> & { istio: Record<string, unknown> };
const base = () => twoPrimariesAndRemote() as Raw;
const withIstio = (istio: Record<string, unknown>) => parseMeshConfig({ ...base(), istio: { ...base().istio, ...istio } });

const OLD = { name: "default", version: "1.30.3" };
const CANARY = { name: "1-31-0", version: "1.31.0" };
const CLUSTERS = ["aws-east", "azure-west", "aws-west"];

// The steps of one upgrade, each the config of one `up`.
const inPlace = () => parseMeshConfig(base());
const named = () => withIstio({ revisions: [OLD] });
const canary = () => withIstio({ revisions: [OLD, CANARY] });
const movedOnAwsEast = () => withIstio({ revisions: [OLD, CANARY], clusterTags: { "aws-east": { default: CANARY.name } } });
const movedEverywhere = () => withIstio({ revisions: [OLD, CANARY], tags: { default: CANARY.name } });
const oldRemoved = () => withIstio({ revisions: [CANARY], tags: { default: CANARY.name } });

describe("a canary upgrade, step by step, changes only what the step needs", () => {
    test("naming the running install revision `default` changes nothing: same resources, same inputs", async () => {
        expect(await graphDiff(inPlace(), named())).toEqual({ created: [], deleted: [], changed: {} });
    });

    test("adding the canary creates its istiod in every cluster (and its route on the primary serving a remote); only the CRDs (base) move to the new version first", async () => {
        const d = await graphDiff(named(), canary());
        expect(d.deleted).toEqual([]);
        expect(d.created).toEqual([...CLUSTERS.map((c) => `mesh-${c}-istio-istiod-1-31-0`), "mesh-aws-east-istio-istiod-vs-1-31-0"].sort());
        expect(d.changed).toEqual(Object.fromEntries(CLUSTERS.map((c) => [`mesh-${c}-istio-base`, ["version"]])));
    });

    test("moving the default tag on one cluster changes only that cluster: its two istiods hand the tag over, validation and the gateway follow, remotes behind it keep theirs", async () => {
        const d = await graphDiff(canary(), movedOnAwsEast());
        expect([d.created, d.deleted]).toEqual([[], []]);
        expect(d.changed).toEqual({
            "mesh-aws-east-istio-istiod": ["values"],
            "mesh-aws-east-istio-istiod-1-31-0": ["values"],
            "mesh-aws-east-istio-base": ["values"],
            "mesh-aws-east-eastwest-release": ["values", "version"],
            // Remotes reaching istiod by URL (no revision in SNI) follow the primary's default tag.
            "mesh-aws-east-istio-istiod-vs": ["spec"],
        });
    });

    test("then the others", async () => {
        const d = await graphDiff(movedOnAwsEast(), movedEverywhere());
        expect([d.created, d.deleted]).toEqual([[], []]);
        expect(Object.keys(d.changed).sort()).toEqual(
            [
                ...["azure-west", "aws-west"].flatMap((c) => [`mesh-${c}-istio-istiod`, `mesh-${c}-istio-istiod-1-31-0`, `mesh-${c}-istio-base`]),
                "mesh-azure-west-eastwest-release",
                "mesh-aws-west-eastwest-release",
            ].sort(),
        );
    });

    test("removing the old revision only deletes its istiods", async () => {
        expect(await graphDiff(movedEverywhere(), oldRemoved())).toEqual({ created: [], changed: {}, deleted: CLUSTERS.map((c) => `mesh-${c}-istio-istiod`).sort() });
    });

    test("in place, a patch release updates the releases where they are", async () => {
        const patched = withIstio({ revisions: [{ ...CANARY, version: "1.31.1" }], tags: { default: CANARY.name } });
        const d = await graphDiff(oldRemoved(), patched);
        expect([d.created, d.deleted]).toEqual([[], []]);
        for (const c of CLUSTERS) {
            expect(d.changed[`mesh-${c}-istio-istiod-1-31-0`]).toEqual(["values", "version"]);
            expect(d.changed[`mesh-${c}-istio-base`]).toEqual(["version"]);
        }
        // ...and without revisions, as before.
        const d2 = await graphDiff(inPlace(), withIstio({ version: "1.30.4" }));
        expect([d2.created, d2.deleted]).toEqual([[], []]);
        expect(d2.changed["mesh-aws-east-istio-istiod"]).toEqual(["values", "version"]);
    });
});

describe("what the charts are given", () => {
    test("the canary: its revision, its version, the remote's injector and Service `istiod-<rev>` through the same gateway address", async () => {
        const { mocks } = await runMesh(canary());
        const primary = mocks.named("mesh-aws-east-istio-istiod-1-31-0").inputs;
        expect(primary).toMatchObject({ name: "istiod-1-31-0", chart: "istiod", version: "1.31.0" });
        expect(primary.values).toMatchObject({ revision: "1-31-0", global: { tag: "1.31.0", multiCluster: { clusterName: "aws-east" }, externalIstiod: true } });
        expect(primary.values).not.toHaveProperty("revisionTags");
        const remote = mocks.named("mesh-aws-west-istio-istiod-1-31-0").inputs;
        expect(remote.values).toMatchObject({ profile: "remote", revision: "1-31-0", global: { configCluster: true } });
        expect(remote.values.global.remotePilotAddress).toEqual(mocks.named("mesh-aws-west-istio-istiod").inputs.values.global.remotePilotAddress);
        // The old install keeps serving the default tag; nothing of it changes.
        expect(mocks.named("mesh-aws-east-istio-istiod").inputs.values).not.toHaveProperty("revision");
        expect(mocks.named("mesh-aws-east-istio-istiod").inputs.values.global).not.toHaveProperty("operatorManageWebhooks");
    });

    test("once the default tag moves: the canary renders the tag's webhook, the old install drops its own, base validates and the gateway is injected by the canary", async () => {
        const { mocks } = await runMesh(movedOnAwsEast());
        const release = (name: string) => mocks.named(name).inputs;
        expect(release("mesh-aws-east-istio-istiod-1-31-0").values).toMatchObject({ revision: "1-31-0", revisionTags: ["default"] });
        expect(release("mesh-aws-east-istio-istiod").values.global).toMatchObject({ operatorManageWebhooks: true });
        expect(release("mesh-aws-east-istio-base").values).toMatchObject({ defaultRevision: "1-31-0" });
        expect(release("mesh-aws-east-eastwest-release")).toMatchObject({ version: "1.31.0", values: { revision: "1-31-0" } });
        // A cluster the tag has not reached yet.
        expect(release("mesh-azure-west-istio-base").values).toMatchObject({ defaultRevision: "default" });
        expect(release("mesh-azure-west-eastwest-release").values).not.toHaveProperty("revision");
    });

    test("istiod exposure: one route per revision by its Service's SNI, the catch-all to the default tag's istiod", async () => {
        const { mocks } = await runMesh(movedOnAwsEast());
        const vs = mocks.named("mesh-aws-east-istio-istiod-vs-1-31-0").inputs;
        expect(vs.spec.tls[0]).toEqual({ match: [{ port: 15012, sniHosts: ["istiod-1-31-0.istio-system.svc"] }], route: [{ destination: { host: "istiod-1-31-0.istio-system.svc.cluster.local", port: { number: 15012 } } }] });
        expect(mocks.named("mesh-aws-east-istio-istiod-vs").inputs.spec.tls[1].route[0].destination).toEqual({ host: "istiod-1-31-0.istio-system.svc.cluster.local", port: { number: 443 } });
    });

    test("order within a cluster: the tag's new holder after the other named revision, the revision-less install last", async () => {
        const { mocks } = await runMesh(movedOnAwsEast());
        expect(mocks.named("mesh-aws-east-istio-istiod").dependsOn).toContain("mesh-aws-east-istio-istiod-1-31-0");
        const two = withIstio({ revisions: [CANARY, { name: "1-32-0", version: "1.32.0" }], tags: { default: "1-32-0" } });
        const run = (await runMesh(two)).mocks;
        expect(run.named("mesh-aws-east-istio-istiod-1-32-0").dependsOn).toContain("mesh-aws-east-istio-istiod-1-31-0");
        expect(run.named("mesh-aws-east-istio-istiod-1-31-0").dependsOn).not.toContain("mesh-aws-east-istio-istiod-1-32-0");
    });
});

describe("config that would break an upgrade is refused before any resource, naming the key", () => {
    const problems = (istio: Record<string, unknown>) => {
        try {
            withIstio(istio);
        } catch (e) {
            if (e instanceof ConfigError) return e.problems;
            throw e;
        }
        return [];
    };

    test("more than two revisions", () => {
        expect(problems({ revisions: [OLD, CANARY, { name: "1-31-1", version: "1.31.1" }] })).toEqual([expect.stringMatching(/^mesh:istio\.revisions: 3 revisions; at most 2/)]);
    });

    test("a canary more than two minor versions ahead; two are fine", () => {
        expect(problems({ revisions: [OLD, { name: "1-33-0", version: "1.33.0" }] })).toEqual([
            expect.stringMatching(/^mesh:istio\.revisions\[1\]\.version: 1\.33\.0 next to 1\.30\.3 .* more than two minor versions away/),
        ]);
        expect(problems({ revisions: [OLD, { name: "1-32-0", version: "1.32.0" }] })).toEqual([]);
    });

    test("a tag pointing at a revision that does not exist, or one being removed while a tag points at it", () => {
        expect(problems({ revisions: [OLD, CANARY], tags: { default: "1-31-9" } })).toEqual([expect.stringMatching(/^mesh:istio\.tags\.default: points at revision "1-31-9", which is not in mesh:istio\.revisions/)]);
        expect(problems({ revisions: [CANARY], clusterTags: { "aws-east": { default: "default" } }, tags: { default: CANARY.name } })).toEqual([
            expect.stringMatching(/^mesh:istio\.clusterTags\.aws-east\.default: points at revision "default", which is not in mesh:istio\.revisions \(1-31-0\); move the tag/),
        ]);
    });

    test("no default tag without a revision-less install, an unknown cluster, duplicate names, tags without revisions", () => {
        expect(problems({ revisions: [CANARY] })).toEqual([expect.stringMatching(/^mesh:istio\.tags\.default: required/)]);
        expect(problems({ revisions: [OLD, CANARY], clusterTags: { nowhere: { default: CANARY.name } } })).toEqual([expect.stringMatching(/^mesh:istio\.clusterTags\.nowhere: "nowhere" is not the name of a cluster/)]);
        expect(problems({ revisions: [OLD, { ...OLD, version: "1.30.4" }] })).toEqual([expect.stringMatching(/^mesh:istio\.revisions\[1\]\.name: "default" is already the name of mesh:istio\.revisions\[0\]/)]);
        expect(problems({ tags: { default: "x" } })).toEqual([expect.stringMatching(/^mesh:istio\.tags: only with mesh:istio\.revisions/)]);
    });
});
