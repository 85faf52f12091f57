/**
 * The delivery workflow (.github/workflows): actionlint finds nothing; its "pulumi preview" and "pulumi up"
 * steps run exactly what scripts/ci/preview.sh and up.sh run (which the e2e runs against the local stack);
 * versions, pins, permissions and environments are what the README says.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ENVIRONMENTS, ROOT } from "./support/environments";

const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const read = (file: string) => YAML.parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"));
const mesh = read("mesh.yml");
const stackWorkflow = read("mesh-stack.yml");
const steps: any[] = stackWorkflow.jobs.pulumi.steps;
const step = (name: string) => steps.find((s) => s.name === name);

/** The value of a `${{ … }}` template for the given expressions (unknown expressions fail the test). */
function substitute(template: string, values: Record<string, string>): string {
    return template.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
        if (!(expr in values)) throw new Error(`no value for \${{ ${expr} }} in the test`);
        return values[expr];
    });
}

// pulumi/actions v7.0.0 passes its inputs to the Automation API (src/config.ts makeConfig: `options`), which turns
// them into CLI flags (@pulumi/pulumi automation/stack.js preview(), up(), applyGlobalOpts()).
const bool = (v: string) => v === "true";
const lines = (v: string) => v.split(/\r?\n|;/).map((x) => x.trim()).filter(Boolean);
const FLAG_INPUTS: Record<string, (v: string) => string[]> = {
    "stack-name": (v) => ["--stack", v],
    diff: (v) => (bool(v) ? ["--diff"] : []),
    refresh: (v) => (bool(v) ? ["--refresh"] : []),
    "expect-no-changes": (v) => (bool(v) ? ["--expect-no-changes"] : []),
    "suppress-progress": (v) => (bool(v) ? ["--suppress-progress"] : []),
    "suppress-outputs": (v) => (bool(v) ? ["--suppress-outputs"] : []),
    "continue-on-error": (v) => (bool(v) ? ["--continue-on-error"] : []),
    policyPacks: (v) => lines(v).flatMap((p) => ["--policy-pack", p]),
    policyPackConfigs: (v) => lines(v).flatMap((p) => ["--policy-pack-config", p]),
    parallel: (v) => ["--parallel", v],
    message: (v) => ["--message", v],
    target: (v) => lines(v).flatMap((t) => ["--target", t]),
    replace: (v) => lines(v).flatMap((t) => ["--replace", t]),
};
// Inputs about how the action installs Pulumi and reports, not what Pulumi does. (`color`, default auto, adds
// `--color auto`, and the Automation API its own --exec-kind/--event-log/--exec-agent: presentation only.)
const ACTION_ONLY_INPUTS = ["command", "pulumi-version", "comment-on-pr", "comment-on-summary", "edit-pr-comment", "always-include-summary", "github-token", "color"];
const COMMANDS: Record<string, string[]> = { preview: ["preview"], up: ["up", "--yes", "--skip-preview"] };

/** The CLI command a pulumi/actions step runs, for one environment. */
function actionCommand(s: any, env: string): string[] {
    expect(s.uses).toMatch(/^pulumi\/actions@[0-9a-f]{40}$/);
    const values = { "env.PULUMI_ORG": stackWorkflow.env.PULUMI_ORG, "inputs.stack": env };
    const argv = ["pulumi", ...COMMANDS[s.with.command], "--non-interactive"];
    for (const [input, raw] of Object.entries<string>(s.with)) {
        const value = substitute(String(raw), values);
        if (input === "work-dir") expect(["./", "."]).toContain(value);
        else if (FLAG_INPUTS[input]) argv.push(...FLAG_INPUTS[input](value));
        else if (!ACTION_ONLY_INPUTS.includes(input)) throw new Error(`pulumi/actions input "${input}": map it to its CLI flags in test/workflow.test.ts`);
    }
    return argv;
}

/** What a script would run (MESH_CI_PRINT=1). */
const scriptCommand = (script: string, stack: string) => execFileSync("bash", [path.join(ROOT, "scripts", "ci", script), stack], { env: { ...process.env, MESH_CI_PRINT: "1" }, encoding: "utf8" }).trimEnd().split("\n");

/** A command as its subcommand and its flags with their values, in any order. */
const VALUED = new Set(["--stack", "--policy-pack", "--policy-pack-config", "--parallel", "--message", "--target", "--replace"]);
function canonical(argv: string[]): { command: string; flags: string[] } {
    const flags: string[] = [];
    for (let i = 2; i < argv.length; i++) flags.push(VALUED.has(argv[i]) ? `${argv[i]} ${argv[++i]}` : argv[i]);
    return { command: argv.slice(0, 2).join(" "), flags: flags.sort() };
}

describe("the delivery workflow", () => {
    test("actionlint (with shellcheck when installed) finds nothing in .github/workflows", () => {
        const bin = [path.join(process.env.MESH_TOOLCHAIN_DIR ?? path.join(process.env.HOME ?? "", ".cache", "mesh-toolchain"), "bin", "actionlint")].find((f) => fs.existsSync(f)) ?? "actionlint";
        const r = spawnSync(bin, ["-no-color"], { cwd: ROOT, encoding: "utf8" });
        if (r.error) throw new Error(`actionlint not found (${r.error.message}): npm test builds it (scripts/ci/pretest.sh), or: bash scripts/toolchain.sh actionlint`);
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });

    test.each(ENVIRONMENTS.flatMap((env) => [["preview", "preview.sh", env], ["up", "up.sh", env]]))(
        "its pulumi %s step runs what scripts/ci/%s runs (%s)",
        (command, script, env) => {
            const s = step(`pulumi ${command}`);
            expect(s.if).toBe(`inputs.command == '${command}'`);
            const stack = `${stackWorkflow.env.PULUMI_ORG}/${env}`;
            expect(canonical(actionCommand(s, env))).toEqual(canonical(scriptCommand(script, stack)));
        },
    );

    test("the scripts run the local stack with its policy config, and refuse an environment without one", () => {
        expect(scriptCommand("preview.sh", "local")).toEqual(expect.arrayContaining(["--policy-pack", "policy/analyzer", "--policy-pack-config", "policy/config/local.json", "--diff"]));
        const r = spawnSync("bash", [path.join(ROOT, "scripts", "ci", "preview.sh"), "example-corp/nowhere"], { env: { ...process.env, MESH_CI_PRINT: "1" }, encoding: "utf8" });
        expect([r.status, r.stderr]).toEqual([2, expect.stringContaining("policy/config/nowhere.json")]);
    });

    test("previews comment on the pull request; ups need no pull request rights", () => {
        expect(step("pulumi preview").with).toMatchObject({ "comment-on-pr": true, diff: true });
        expect(step("pulumi up").with["comment-on-pr"]).toBeUndefined();
        expect(mesh.jobs.preview.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
        for (const env of ENVIRONMENTS) expect(mesh.jobs[`up-${env}`].permissions).toEqual({ contents: "read", "id-token": "write" });
    });

    test("the CLI, Node and Go versions are the repository's pins", () => {
        const pins = fs.readFileSync(path.join(ROOT, "scripts", "toolchain", "versions.env"), "utf8");
        const pulumiVersion = /^PULUMI_VERSION=(.+)$/m.exec(pins)![1];
        for (const command of ["preview", "up"]) expect(String(step(`pulumi ${command}`).with["pulumi-version"])).toBe(pulumiVersion);
        const node = /^NODE_VERSION=(.+)$/m.exec(fs.readFileSync(path.join(ROOT, "scripts", "with-node22.sh"), "utf8"))![1];
        const setupNode = [...steps, ...mesh.jobs.test.steps].filter((s: any) => String(s.uses).startsWith("actions/setup-node@"));
        expect(setupNode.map((s: any) => String(s.with["node-version"]))).toEqual([node, node]);
        const go = /^go (.+)$/m.exec(fs.readFileSync(path.join(ROOT, "scripts", "toolchain", "actionlint", "go.mod"), "utf8"))![1];
        expect(String(mesh.jobs.test.steps.find((s: any) => String(s.uses).startsWith("actions/setup-go@")).with["go-version"])).toBe(go);
    });

    test("every action is pinned to a commit, with its release in a comment; no stored secret, no pull_request_target", () => {
        for (const file of fs.readdirSync(WORKFLOWS)) {
            const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
            for (const [, ref, comment] of text.matchAll(/uses:\s*([^\s#]+)(\s*#.*)?/g)) {
                if (ref.startsWith("./")) continue;
                expect([ref, comment]).toEqual([expect.stringMatching(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/), expect.stringMatching(/# v\d/)]);
            }
            expect([file, /\bsecrets\.|aws-access-key-id|client-secret|pull_request_target/.test(text)]).toEqual([file, false]);
        }
        expect(mesh.permissions).toEqual({ contents: "read" });
    });

    test("merges go dev, staging, prod, each in its own GitHub environment; previews in <env>-preview", () => {
        expect(Object.keys(mesh.jobs).filter((j) => j.startsWith("up-"))).toEqual(ENVIRONMENTS.map((e) => `up-${e}`));
        ENVIRONMENTS.forEach((env, i) => {
            const job = mesh.jobs[`up-${env}`];
            expect(job.with).toEqual({ stack: env, command: "up" });
            // A skipped job is no failure, and `needs.*.result` sees direct needs only: each up needs the tests and every earlier up.
            expect([...job.needs].sort()).toEqual(["affected", "test", ...ENVIRONMENTS.slice(0, i).map((e) => `up-${e}`)].sort());
            expect(job.if).toContain(`contains(fromJSON(needs.affected.outputs.stacks), '${env}')`);
        });
        expect(stackWorkflow.jobs.pulumi.environment).toBe("${{ inputs.command == 'up' && inputs.stack || format('{0}-preview', inputs.stack) }}");
        expect(mesh.jobs.preview.with).toEqual({ stack: "${{ matrix.stack }}", command: "preview" });
    });
});

describe("scripts/ci/affected-stacks.sh", () => {
    const affected = (...paths: string[]) => JSON.parse(execFileSync("bash", [path.join(ROOT, "scripts", "ci", "affected-stacks.sh")], { input: paths.join("\n"), encoding: "utf8" }));
    const all = [...ENVIRONMENTS].sort();

    test("a stack file or policy config affects its environment; local-only paths none; the program every one", () => {
        expect(affected("Pulumi.prod.yaml")).toEqual(["prod"]);
        expect(affected("Pulumi.dev.yaml", "policy/config/staging.json", "README.md")).toEqual(["dev", "staging"]);
        expect(affected("README.md", "test/e2e/run.sh", "Pulumi.local.yaml", "policy/config/local.json", "scripts/local-cloud/lb.mjs", "stacks/app/index.ts", "policy/test/harness.ts")).toEqual([]);
        for (const p of ["components/mesh.ts", "stacks/config.ts", "package-lock.json", "Pulumi.yaml", "policy/policies.ts", ".github/workflows/mesh-stack.yml", "scripts/ci/preview.sh", "scripts/toolchain/versions.env"]) {
            expect([p, affected(p)]).toEqual([p, all]);
        }
        expect(affected()).toEqual([]);
        expect(JSON.parse(execFileSync("bash", [path.join(ROOT, "scripts", "ci", "affected-stacks.sh"), "--all"], { encoding: "utf8" }))).toEqual(all);
    });
});
