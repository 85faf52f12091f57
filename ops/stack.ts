/**
 * A stack as the operator tools see it: its config file (`Pulumi.<stack>.yaml`, parsed by the
 * program's own parseMeshConfig) and, once deployed, its outputs (`pulumi stack output --json`).
 * The planned view needs no cloud access and no cluster, so that a pull request can show it.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_NAMESPACE, ConfigError, DEFAULT_CHART_REPOSITORY, MeshConfig, parseMeshConfig } from "../stacks/config";

/** The plain JSON of the stack outputs (components/outputs.ts); secrets are "[secret]" unless shown. */
export interface MeshOutputs {
    readonly meshId?: string;
    readonly trustDomain?: string;
    /** The root that signs the intermediates. */
    readonly rootCertificatePem?: string;
    /** Every trusted root (two during a root rotation); absent from stacks deployed before rotation existed. */
    readonly trustBundlePem?: string;
    readonly istio?: { readonly version?: string; readonly chartRepository?: string };
    readonly networks?: Readonly<Record<string, readonly string[]>>;
    readonly clusters?: Readonly<Record<string, ClusterOutputs>>;
    readonly teams?: Readonly<Record<string, unknown>>;
}

export interface ClusterOutputs {
    readonly provider?: string;
    readonly region?: string;
    readonly network?: string;
    readonly role?: string;
    readonly primary?: string;
    readonly apiServer?: string;
    readonly eastWestGatewayAddress?: string;
    readonly adminKubeconfig?: string;
}

/** The `mesh:*` keys of a stack file, without their namespace (what loader.ts hands to parseMeshConfig). */
export function readStackConfigFile(file: string): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    const config: Record<string, unknown> = doc.config ?? {};
    const raw: Record<string, unknown> = {};
    const prefix = `${CONFIG_NAMESPACE}:`;
    for (const [key, value] of Object.entries(config)) {
        if (!key.startsWith(prefix)) continue;
        // `pulumi config set --secret` writes { secure: … }; no mesh key is secret, so refuse rather than guess.
        if (value && typeof value === "object" && "secure" in value) throw new Error(`${key} in ${file} is encrypted; the tools read plain mesh keys only`);
        raw[key.slice(prefix.length)] = value;
    }
    return raw;
}

export interface PlannedConfig {
    readonly config: MeshConfig;
    /** What was stood in for files this machine lacks (kubeconfigs of existing clusters, a chart directory). */
    readonly standIns: readonly string[];
    /** Existing clusters whose kubeconfig was not read (a stand-in holds no credentials). */
    readonly unread: readonly string[];
}

const MISSING_KUBECONFIG = /^mesh:clusters\[(\d+)\]\.existing: kubeconfig file (.+) does not exist$/;
const MISSING_CHARTS = /^mesh:istio\.chartRepository: must be an http\(s\)\/oci Helm repository URL or a directory/;

/**
 * parseMeshConfig, tolerating only files that exist where the stack is deployed but not here: an
 * existing cluster's kubeconfig (a stand-in with no credentials and its configured context takes
 * its place) and a local chart directory. Every other problem is the config's and is thrown.
 */
export function parsePlannedConfig(raw: Record<string, unknown>): PlannedConfig {
    try {
        return { config: parseMeshConfig(raw), standIns: [], unread: [] };
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        const fixable = e.problems.every((p) => MISSING_KUBECONFIG.test(p) || MISSING_CHARTS.test(p));
        if (!fixable) throw e;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-planned-"));
        try {
            const standIns: string[] = [];
            const unread: string[] = [];
            const clusters = [...((raw.clusters as Record<string, any>[]) ?? [])];
            for (const p of e.problems) {
                const m = MISSING_KUBECONFIG.exec(p);
                if (!m) continue;
                const i = Number(m[1]);
                const c = clusters[i];
                const file = path.join(dir, `${i}.kubeconfig`);
                fs.writeFileSync(file, standInKubeconfig(c.existing?.context ?? "planned", c.existing?.apiServer ?? `https://${c.name}.kubeconfig-not-read.invalid`));
                clusters[i] = { ...c, existing: { ...c.existing, kubeconfig: file } };
                unread.push(c.name);
            }
            if (unread.length > 0) standIns.push(`kubeconfigs of ${unread.join(", ")} not read (not on this machine)`);
            let istio = raw.istio;
            if (e.problems.some((p) => MISSING_CHARTS.test(p))) {
                istio = { ...(raw.istio as object), chartRepository: DEFAULT_CHART_REPOSITORY };
                standIns.push(`chart directory ${(raw.istio as { chartRepository?: string }).chartRepository} not on this machine`);
            }
            return { config: parseMeshConfig({ ...raw, clusters, istio }), standIns, unread };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
}

function standInKubeconfig(context: string, server: string): string {
    return YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "planned", cluster: { server } }],
        users: [{ name: "planned", user: {} }],
        contexts: [{ name: context, context: { cluster: "planned", user: "planned" } }],
        "current-context": context,
    });
}

/** `pulumi stack output --json` of a stack, run in the project directory. */
export function readStackOutputs(stack: string, projectDir: string, showSecrets = false): MeshOutputs {
    const args = ["stack", "output", "--json", "--stack", stack, ...(showSecrets ? ["--show-secrets"] : [])];
    let out: string;
    try {
        out = execFileSync("pulumi", args, { cwd: projectDir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Error(`pulumi ${args.join(" ")} failed: ${(err.stderr ?? err.message).trim()}`);
    }
    return JSON.parse(out) as MeshOutputs;
}

export function readOutputsFile(file: string): MeshOutputs {
    return JSON.parse(fs.readFileSync(file === "-" ? 0 : file, "utf8")) as MeshOutputs;
}
