/**
 * Renders Istio's charts with the values the program produces, through the same Helm engine a
 * `helm.sh/v3:Release` installs them with: the Kubernetes provider plugin's `kubernetes:helm:template`
 * invoke (what `helm.v3.Chart` calls), spoken to over its gRPC interface, with no cluster. So a
 * value name the chart does not know, or a condition of its templates (a PodDisruptionBudget only
 * above one replica), shows in the objects, not in a comment.
 *
 * Needs the plugin (installed by `npm ci` into ~/.pulumi/plugins, or the toolchain's PULUMI_HOME)
 * and chart directories (the toolchain's ~/.cache/mesh-toolchain/istio-charts/<version>, or
 * MESH_ISTIO_CHARTS); without them `chartRenderer` says what is missing.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { ConfigureRequest, InvokeRequest } from "@pulumi/pulumi/proto/provider_pb";
import { ROOT } from "./environments";

export interface KubeObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
    readonly spec?: any;
    readonly data?: Record<string, string>;
}

export interface ChartRenderer {
    /** The chart directories' Istio version. */
    readonly version: string;
    render(chart: "base" | "istiod" | "gateway", releaseName: string, values: Record<string, unknown>): Promise<KubeObject[]>;
    /** Any other chart directory (the observability charts of test/e2e/charts), into istio-system. */
    renderDirectory(directory: string, releaseName: string, values: Record<string, unknown>): Promise<KubeObject[]>;
    close(): void;
}

const TOOLCHAIN = process.env.MESH_TOOLCHAIN_DIR ?? path.join(os.homedir(), ".cache", "mesh-toolchain");

function pluginPath(): string | undefined {
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "kubernetes", "package.json"), "utf8")).version;
    const homes = [process.env.PULUMI_HOME, path.join(TOOLCHAIN, "pulumi-home"), path.join(os.homedir(), ".pulumi")].filter((h): h is string => !!h);
    return homes.map((h) => path.join(h, "plugins", `resource-kubernetes-v${version}`, "pulumi-resource-kubernetes")).find((f) => fs.existsSync(f));
}

/** The newest chart directory set (base/, istiod/, gateway/) at hand. */
function chartsDirectory(): string | undefined {
    if (process.env.MESH_ISTIO_CHARTS) return process.env.MESH_ISTIO_CHARTS;
    const root = path.join(TOOLCHAIN, "istio-charts");
    if (!fs.existsSync(root)) return undefined;
    const numeric = (v: string) => v.split(/[.-]/).slice(0, 3).map(Number);
    const newest = fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, "istiod", "Chart.yaml")))
        .sort((a, b) => {
            const [x, y] = [numeric(a), numeric(b)];
            return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
        })
        .pop();
    return newest && path.join(root, newest);
}

/** A renderer, or the reason there is none here. */
export async function chartRenderer(): Promise<ChartRenderer | string> {
    const plugin = pluginPath();
    if (!plugin) return "the Kubernetes provider plugin is not installed (npm ci installs it into ~/.pulumi/plugins)";
    const charts = chartsDirectory();
    if (!charts) return `no Istio chart directories (bash scripts/toolchain.sh builds them into ${TOOLCHAIN}/istio-charts, or set MESH_ISTIO_CHARTS)`;
    const version = /^version:\s*"?([^"\s]+)/m.exec(fs.readFileSync(path.join(charts, "istiod", "Chart.yaml"), "utf8"))?.[1] ?? "unknown";

    // The plugin prints the port it serves on, then serves until killed.
    const child: ChildProcess = spawn(plugin, [], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += String(d)));
    const port = await new Promise<string>((resolve, reject) => {
        child.once("error", reject);
        child.once("exit", (code) => reject(new Error(`the Kubernetes provider plugin exited (${code}): ${stderr}`)));
        child.stdout!.once("data", (d) => resolve(String(d).trim()));
    });
    const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const call = <Req, Res>(method: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown, req: Req) =>
        new Promise<Res>((resolve, reject) => method.call(client, req, (e: grpc.ServiceError | null, r: Res) => (e ? reject(e) : resolve(r))));

    // No cluster: an empty kubeconfig; `helm template` needs none.
    const configure = new ConfigureRequest();
    configure.setArgs(Struct.fromJavaScript({ kubeconfig: "{}" }));
    configure.setAcceptsecrets(true);
    configure.setAcceptresources(true);
    await call(client.configure, configure);

    const renderDirectory = async (directory: string, releaseName: string, values: Record<string, unknown>): Promise<KubeObject[]> => {
        const req = new InvokeRequest();
        // The blob helm.v3.Chart sends for a local chart (@pulumi/kubernetes helm/v3/helm.js).
        const opts = { path: directory, namespace: "istio-system", release_name: releaseName, values };
        req.setArgs(Struct.fromJavaScript({ jsonOpts: JSON.stringify(opts) }));
        req.setTok("kubernetes:helm:template");
        const res: any = await call(client.invoke, req);
        const failures = res.getFailuresList().map((f: any) => `${f.getProperty()}: ${f.getReason()}`);
        if (failures.length > 0) throw new Error(`helm template ${path.basename(directory)}: ${failures.join("; ")}`);
        return (res.getReturn().toJavaScript().result ?? []) as KubeObject[];
    };
    return {
        version,
        render: (chart, releaseName, values) => renderDirectory(path.join(charts, chart), releaseName, values),
        renderDirectory,
        close() {
            client.close();
            child.kill();
        },
    };
}

/**
 * A renderer for the enclosing describe block: started in its beforeAll, closed in its afterAll.
 * The returned function gives it, or undefined with a warning naming what is missing here.
 */
export function useChartRenderer(): () => ChartRenderer | undefined {
    let renderer: ChartRenderer | undefined;
    let missing: string | undefined;
    beforeAll(async () => {
        const r = await chartRenderer();
        if (typeof r === "string") missing = r;
        else renderer = r;
    }, 60_000);
    afterAll(() => renderer?.close());
    return () => {
        if (!renderer) console.warn(`chart rendering skipped: ${missing}`);
        return renderer;
    };
}
