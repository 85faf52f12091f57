/**
 * Kubeconfig handling for `existing` clusters: pick one context and flatten it into a
 * self-contained kubeconfig (what `kubectl config view --minify --flatten` prints), so that
 * the stack output works on any machine and no local file path leaks into state.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

export interface KubeconfigContext {
    /** The context that was selected. */
    readonly context: string;
    /** The API server URL of that context's cluster. */
    readonly server: string;
    /** A single-context kubeconfig with every referenced file inlined. */
    readonly kubeconfig: string;
}

export function expandHome(p: string): string {
    return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

/** Reads `file` and returns the selected context flattened; throws a message fit for a config error. */
export function readKubeconfig(file: string, context?: string): KubeconfigContext {
    const resolved = path.resolve(expandHome(file));
    if (!fs.existsSync(resolved)) throw new Error(`kubeconfig file ${resolved} does not exist`);
    let doc: any;
    try {
        doc = YAML.parse(fs.readFileSync(resolved, "utf8"));
    } catch (e) {
        throw new Error(`kubeconfig file ${resolved} is not valid YAML: ${(e as Error).message}`);
    }
    const contexts: { name: string }[] = doc?.contexts ?? [];
    const wanted = context ?? doc?.["current-context"];
    if (!wanted) throw new Error(`kubeconfig file ${resolved} has no current-context; set existing.context`);
    const ctx = contexts.find((c) => c.name === wanted) as any;
    if (!ctx) {
        const known = contexts.map((c) => c.name).join(", ") || "none";
        throw new Error(`context "${wanted}" does not exist in ${resolved} (contexts: ${known})`);
    }
    const cluster = (doc.clusters ?? []).find((c: any) => c.name === ctx.context?.cluster);
    const user = (doc.users ?? []).find((u: any) => u.name === ctx.context?.user);
    if (!cluster?.cluster?.server) throw new Error(`context "${wanted}" in ${resolved} names no cluster with a server`);
    const dir = path.dirname(resolved);
    const flat = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: cluster.name, cluster: inline(cluster.cluster, dir, { "certificate-authority": "certificate-authority-data" }) }],
        users: [{ name: user?.name ?? ctx.context.user ?? wanted, user: inline(user?.user ?? {}, dir, { "client-certificate": "client-certificate-data", "client-key": "client-key-data" }) }],
        contexts: [{ name: wanted, context: { ...ctx.context, cluster: cluster.name, user: user?.name ?? ctx.context.user } }],
        "current-context": wanted,
    };
    return { context: wanted, server: cluster.cluster.server, kubeconfig: YAML.stringify(flat) };
}

function inline(entry: Record<string, unknown>, dir: string, fileKeys: Record<string, string>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...entry };
    for (const [fileKey, dataKey] of Object.entries(fileKeys)) {
        const file = out[fileKey];
        if (typeof file !== "string") continue;
        const full = path.resolve(dir, expandHome(file));
        if (!fs.existsSync(full)) throw new Error(`${fileKey} file ${full} does not exist`);
        out[dataKey] = fs.readFileSync(full).toString("base64");
        delete out[fileKey];
    }
    return out;
}
