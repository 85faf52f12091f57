/**
 * The policy pack (policy/) on what this program really registers: every resource of each environment's stack,
 * recorded under the mocks with its inputs (secrets as the engine sees them), provider, `protect` and property
 * dependencies, plus the stack's outputs, through the pack's harness (policy/test/harness.ts). Each environment
 * passes with its own policy config; the changes the pack exists to stop are stopped.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { serializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { policies } from "../policy/policies";
import { mandatory, runPolicies, TestResource, Violation } from "../policy/test/harness";
import { parseMeshConfig } from "../stacks/config";
import { ENVIRONMENTS, ROOT, stackFile } from "./support/environments";
import { providerName } from "./support/mocks";
import { runMesh, writeKubeconfig } from "./support/run";
import { scratchDir } from "./support/scratch";

const policyConfig = (env: string) => JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config", `${env}.json`), "utf8"));

/** The stack as the engine shows it to the pack: every registered resource, and the stack's outputs. */
async function stackResources(raw: Record<string, unknown>): Promise<TestResource[]> {
    const run = await runMesh(parseMeshConfig(raw));
    const resources: TestResource[] = run.mocks.resources.map((r) => ({
        type: r.type,
        name: r.name,
        props: r.inputs,
        protect: r.protect,
        provider: r.provider ? providerName(r.provider) : undefined,
        parent: r.parent,
        dependencies: r.dependsOn,
        propertyDependencies: r.propertyDependencies,
    }));
    resources.push({ type: "pulumi:pulumi:Stack", name: "mesh-test", props: await serializeProperties("outputs", run.outputs as never, {}) });
    return resources;
}

/** Each environment's stack, run once for the tests that read it. */
const runs = new Map<string, Promise<TestResource[]>>();
const environmentStack = (env: string) => runs.get(env) ?? runs.set(env, stackResources(stackFile(env).raw)).get(env)!;

const summary = (vs: Violation[]) => vs.map((v) => `${v.policy} ${v.resource ?? ""}: ${v.message}`);
const privateKeyPem = () => crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

describe("the policy pack on the program's own resources", () => {
    test.each(ENVIRONMENTS)("%s passes with its policy config (advisories only about open API endpoints)", async (env) => {
        const resources = await environmentStack(env);
        expect(resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").length).toBeGreaterThanOrEqual(8);
        const vs = await runPolicies(policies, resources, policyConfig(env));
        expect(summary(mandatory(vs))).toEqual([]);
        expect(vs.filter((v) => v.policy !== "api-endpoints-restricted")).toEqual([]);
    });

    test("the secrets the program makes are seen as secrets: the stack outputs' team kubeconfigs, cacerts, remote secrets", async () => {
        const resources = await environmentStack("dev");
        const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
        expect(JSON.stringify(stack.props)).toContain("1b47061264138c4ac30d75fd1eb44270"); // the engine's secret signature
        // Without its secret markers the same stack fails: the pack does tell secret from plain.
        const stripped = JSON.parse(JSON.stringify(resources), (_k, v) => (v && typeof v === "object" && v["4dabf18193072939515e22adb298388d"] ? v.value : v));
        const vs = await runPolicies(policies, stripped, policyConfig("dev"));
        expect(new Set(mandatory(vs).map((v) => v.policy))).toEqual(new Set(["credentials-are-secret", "state-credentials-encrypted"]));
    });

    test("a local-shaped mesh (existing clusters, charts from a directory, unprotected root) passes only where its config allows it", async () => {
        const charts = scratchDir("charts-");
        for (const c of ["base", "istiod", "gateway"]) {
            fs.mkdirSync(path.join(charts, c));
            fs.writeFileSync(path.join(charts, c, "Chart.yaml"), `name: ${c}\nversion: 1.29.1\n`);
        }
        const kubeconfig = (c: string) => writeKubeconfig({ [c]: `https://127.0.0.1:3240${c.slice(1)}` });
        const raw = {
            meshId: "local-mesh",
            istio: { version: "1.29.1", chartRepository: charts },
            pki: { protectRoot: false },
            clusters: [
                { name: "c1", provider: "existing", network: "net1", existing: { kubeconfig: kubeconfig("c1") } },
                { name: "c2", provider: "existing", network: "net2", existing: { kubeconfig: kubeconfig("c2") } },
                { name: "c3", provider: "existing", network: "net3", role: "remote", primary: "c1", existing: { kubeconfig: kubeconfig("c3") } },
            ],
            access: { teams: [{ name: "team-a", namespaces: ["team-a"] }] },
            // No in-cluster Prometheus: these policies are about Istio (Pulumi.local.yaml installs one from test/e2e/charts).
            observability: { metrics: { enabled: false }, global: { enabled: false }, grafana: { enabled: false } },
        };
        const resources = await stackResources(raw);
        expect(await runPolicies(policies, resources, policyConfig("local"))).toEqual([]);
        const asProd = mandatory(await runPolicies(policies, resources, policyConfig("prod")));
        expect([...new Set(asProd.map((v) => v.policy))].sort()).toEqual(["istio-version-pinned", "root-ca-protected"]);
        expect(asProd.filter((v) => v.policy === "root-ca-protected").map((v) => v.resource).sort()).toEqual(["mesh-pki-root-cert", "mesh-pki-root-key"]);
    });

    // One program run per test: a run takes seconds, several in one test can outlast jest's timeout on a busy machine.
    const prodDayTwo = (pki: object, more: object = {}) => {
        const { raw } = stackFile("prod");
        return { ...raw, ...more, pki: { ...(raw.pki as object), ...pki } };
    };
    test.each([
        ["root rotation, phase trust", prodDayTwo({ rotation: { phase: "trust" } })],
        ["root rotation, phase issue (the old root unprotected, the new one issuing)", prodDayTwo({ rotation: { phase: "issue" } })],
        ["root rotation, phase retire", prodDayTwo({ rotation: { phase: "retire" } })],
        ["root rotation done, and a reader token rotation", prodDayTwo({ rootGeneration: 2 }, { remoteSecrets: { tokenGeneration: 2 } })],
    ])("production's day two passes: %s", async (_name, step) => {
        expect(summary(mandatory(await runPolicies(policies, await stackResources(step), policyConfig("prod"))))).toEqual([]);
    });

    test("in phase trust the new root issues nothing yet and still has to be protected", async () => {
        const trust = (await stackResources(prodDayTwo({ rotation: { phase: "trust" } }))).map((r) => (r.name.startsWith("mesh-pki-root-2-") ? { ...r, protect: false } : r));
        const vs = mandatory(await runPolicies(policies, trust, policyConfig("prod")));
        expect(vs.map((v) => [v.policy, v.resource]).sort()).toEqual([
            ["root-ca-protected", "mesh-pki-root-2-cert"],
            ["root-ca-protected", "mesh-pki-root-2-key"],
        ]);
    });

    test("changes the pack stops: a key in Helm values, admin kubeconfigs in the outputs, an unprotected production root", async () => {
        const { raw } = stackFile("prod");
        const bad = {
            ...raw,
            istio: { ...(raw.istio as object), values: { istiod: { pilot: { env: { DEBUG_SIGNING_KEY: privateKeyPem() } } } } },
            pki: { ...(raw.pki as object), protectRoot: false },
            access: { adminKubeconfigOutputs: true },
        };
        const vs = mandatory(await runPolicies(policies, await stackResources(bad), policyConfig("prod")));
        const by = (policy: string) => vs.filter((v) => v.policy === policy);
        expect(by("helm-values-no-credentials").map((v) => v.resource).sort()).toEqual(["mesh-aws-east-istio-istiod", "mesh-aws-west-istio-istiod", "mesh-azure-west-istio-istiod"]);
        expect(by("helm-values-no-credentials")[0].message).toMatch(/^values\.pilot\.env\.DEBUG_SIGNING_KEY holds a private key: Helm stores a release's values in clear text/);
        expect(by("admin-kubeconfigs-not-exported")).toHaveLength(3);
        expect(by("root-ca-protected")).toHaveLength(2);
        expect(new Set(vs.map((v) => v.policy))).toEqual(new Set(["helm-values-no-credentials", "admin-kubeconfigs-not-exported", "root-ca-protected"]));
    });
});
