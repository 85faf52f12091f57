/**
 * scripts/mesh-picture: renders the mesh of a stack. Planned (from the stack file alone, no cloud
 * access: what a pull request proposes) or deployed (plus the stack outputs: addresses, API
 * servers, the root certificate).
 *
 *   mesh-picture [--stack local] [--config Pulumi.<stack>.yaml] [--deployed | --outputs FILE]
 *                [--format svg|dot|mermaid|json] [-o FILE]
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { ConfigError } from "../stacks/config";
import { planMesh } from "../stacks/topology";
import { meshGraph } from "./graph";
import { dotToSvg, toDot, toMermaid } from "./render";
import { MeshOutputs, parsePlannedConfig, readOutputsFile, readStackConfigFile, readStackOutputs } from "./stack";

const PROJECT_DIR = path.resolve(__dirname, "..");
const FORMATS = ["svg", "dot", "mermaid", "json"] as const;
type Format = (typeof FORMATS)[number];

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string", default: "local" },
            config: { type: "string" },
            deployed: { type: "boolean", default: false },
            outputs: { type: "string" },
            format: { type: "string" },
            output: { type: "string", short: "o" },
            help: { type: "boolean", short: "h", default: false },
        },
    });
    if (values.help) {
        process.stdout.write(fs.readFileSync(__filename, "utf8").split("*/")[0].replace(/^\/\*\*?/, "").replace(/^ \* ?/gm, ""));
        return 0;
    }
    const stack = values.stack!;
    const output = values.output && values.output !== "-" ? path.resolve(values.output) : undefined;
    const format = (values.format ?? (output ? path.extname(output).slice(1) : "svg")) as Format;
    if (!FORMATS.includes(format)) throw new Error(`--format must be one of ${FORMATS.join(", ")} (got "${format}")`);
    const configFile = path.resolve(values.config ?? path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`));
    const outputsFile = values.outputs ? path.resolve(values.outputs) : undefined;

    // Relative paths in the config (kubeconfigs, charts) are the project's, as for `pulumi up`.
    process.chdir(PROJECT_DIR);
    const { config, standIns } = parsePlannedConfig(readStackConfigFile(configFile));
    let outputs: MeshOutputs | undefined;
    if (outputsFile) outputs = readOutputsFile(outputsFile);
    else if (values.deployed) outputs = readStackOutputs(stack, PROJECT_DIR);
    const graph = meshGraph(config, planMesh(config), outputs, standIns);

    let text: string;
    switch (format) {
        case "json":
            text = JSON.stringify(graph, null, 2) + "\n";
            break;
        case "mermaid":
            text = toMermaid(graph);
            break;
        case "dot":
            text = toDot(graph);
            break;
        case "svg":
            text = await dotToSvg(toDot(graph));
            break;
    }
    if (output) fs.writeFileSync(output, text);
    else process.stdout.write(text);
    return 0;
}

main().then(
    (code) => (process.exitCode = code),
    (e) => {
        process.stderr.write(`mesh-picture: ${e instanceof ConfigError ? e.message : (e as Error).message}\n`);
        process.exitCode = 2;
    },
);
