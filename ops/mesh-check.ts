/**
 * scripts/mesh-check: verifies a deployed mesh from the outside and prints one row per check
 * (PASS, WARN, FAIL); exit status 1 on any FAIL, 2 when it could not run.
 *
 *   mesh-check [--stack local] [--config Pulumi.<stack>.yaml] [--outputs FILE]
 *              [--kubeconfig CLUSTER=FILE]... [--context CLUSTER=CONTEXT]... [--use-output-kubeconfigs]
 *              [--warn-days 30] [--root-warn-days 180] [--timeout 20] [--json]
 *
 * Credentials, per cluster, first found: --kubeconfig (with --context, if given, for that file);
 * --context alone (in $KUBECONFIG or ~/.kube/config); an existing cluster's kubeconfig and context
 * from the stack config; the `clusters.<name>.adminKubeconfig` output with --use-output-kubeconfigs
 * (mesh:access.adminKubeconfigOutputs). They must read istio-system and proxy to istiod's pods.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import * as k8s from "@kubernetes/client-node";
import { ConfigError } from "../stacks/config";
import { readKubeconfig } from "../stacks/kubeconfig";
import { planMesh } from "../stacks/topology";
import { checkMesh } from "./check";
import { DEFAULT_OPTIONS, exitCode, renderTable, summary } from "./check-model";
import { MeshOutputs, parsePlannedConfig, readOutputsFile, readStackConfigFile, readStackOutputs } from "./stack";

const PROJECT_DIR = path.resolve(__dirname, "..");

/** CLUSTER=VALUE pairs of a repeated option. */
export function pairs(option: string, values: readonly string[] | undefined): Map<string, string> {
    const out = new Map<string, string>();
    for (const v of values ?? []) {
        const i = v.indexOf("=");
        if (i <= 0) throw new Error(`${option} takes CLUSTER=VALUE (got "${v}")`);
        out.set(v.slice(0, i), v.slice(i + 1));
    }
    return out;
}

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string", default: "local" },
            config: { type: "string" },
            outputs: { type: "string" },
            kubeconfig: { type: "string", multiple: true },
            context: { type: "string", multiple: true },
            "use-output-kubeconfigs": { type: "boolean", default: false },
            "warn-days": { type: "string", default: String(DEFAULT_OPTIONS.warnDays) },
            "root-warn-days": { type: "string", default: String(DEFAULT_OPTIONS.rootWarnDays) },
            timeout: { type: "string", default: "20" },
            json: { type: "boolean", default: false },
            help: { type: "boolean", short: "h", default: false },
        },
    });
    if (values.help) {
        process.stdout.write(fs.readFileSync(__filename, "utf8").split("*/")[0].replace(/^\/\*\*?/, "").replace(/^ \* ?/gm, ""));
        return 0;
    }
    const number = (key: "warn-days" | "root-warn-days" | "timeout") => {
        const n = Number(values[key]);
        if (!Number.isFinite(n) || n < 0) throw new Error(`--${key} takes a number (got "${values[key]}")`);
        return n;
    };
    const stack = values.stack!;
    const configFile = path.resolve(values.config ?? path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`));
    const kubeconfigFiles = new Map([...pairs("--kubeconfig", values.kubeconfig)].map(([c, f]) => [c, path.resolve(f)]));
    const contexts = pairs("--context", values.context);
    const outputsFile = values.outputs ? path.resolve(values.outputs) : undefined;
    process.chdir(PROJECT_DIR);

    const { config, unread } = parsePlannedConfig(readStackConfigFile(configFile));
    const plan = planMesh(config);
    const names = config.clusters.map((c) => c.name);
    for (const c of [...kubeconfigFiles.keys(), ...contexts.keys()]) if (!names.includes(c)) throw new Error(`"${c}" is not a cluster of stack ${stack} (${names.join(", ")})`);
    const outputs: MeshOutputs = outputsFile ? readOutputsFile(outputsFile) : readStackOutputs(stack, PROJECT_DIR, values["use-output-kubeconfigs"]);

    const credentials = new Map<string, k8s.KubeConfig>();
    const missing: string[] = [];
    for (const c of config.clusters) {
        const kc = new k8s.KubeConfig();
        const file = kubeconfigFiles.get(c.name);
        const context = contexts.get(c.name);
        const fromOutputs = values["use-output-kubeconfigs"] ? outputs.clusters?.[c.name]?.adminKubeconfig : undefined;
        if (file) kc.loadFromString(readKubeconfig(file, context).kubeconfig);
        else if (context) {
            kc.loadFromDefault();
            if (!kc.getContextObject(context)) throw new Error(`--context ${c.name}=${context}: no such context in ${process.env.KUBECONFIG ?? "~/.kube/config"}`);
            kc.setCurrentContext(context);
        } else if (c.existing && !unread.includes(c.name)) kc.loadFromString(c.existing.kubeconfigContent);
        else if (fromOutputs && fromOutputs !== "[secret]") kc.loadFromString(fromOutputs);
        else {
            missing.push(c.name);
            continue;
        }
        credentials.set(c.name, kc);
    }
    if (missing.length > 0) process.stderr.write(`mesh-check: no credentials for ${missing.join(", ")}: pass --kubeconfig CLUSTER=FILE or --context CLUSTER=CONTEXT\n`);

    const rows = await checkMesh(plan, outputs, credentials, { now: new Date(), warnDays: number("warn-days"), rootWarnDays: number("root-warn-days"), timeoutMs: number("timeout") * 1000 });
    if (values.json) process.stdout.write(JSON.stringify({ stack, summary: summary(rows), exitCode: exitCode(rows), rows }, null, 2) + "\n");
    else process.stdout.write(`mesh ${config.meshId}, stack ${stack}\n\n${renderTable(rows)}`);
    return exitCode(rows);
}

main().then(
    (code) => process.exit(code),
    (e) => {
        process.stderr.write(`mesh-check: ${e instanceof ConfigError ? e.message : (e as Error).message}\n`);
        process.exit(2);
    },
);
