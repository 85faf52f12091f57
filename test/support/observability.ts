/** Where the observability tests find upstream files and the Prometheus binaries. */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

/** The toolchain's bin directory (scripts/toolchain.sh). */
export function toolchainBin(): string {
    return path.join(process.env.MESH_TOOLCHAIN_DIR ?? path.join(process.env.HOME ?? "", ".cache", "mesh-toolchain"), "bin");
}

/** A tool built by scripts/toolchain.sh, else one on PATH; undefined when neither exists. */
export function findTool(name: string): string | undefined {
    const built = path.join(toolchainBin(), name);
    if (fs.existsSync(built)) return built;
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    return found.status === 0 && found.stdout.trim() !== "" ? found.stdout.trim() : undefined;
}

/** A pin from scripts/toolchain/versions.env. */
export function pin(key: string): string {
    const m = new RegExp(`^${key}=(.*)$`, "m").exec(fs.readFileSync(path.join(ROOT, "scripts", "toolchain", "versions.env"), "utf8"));
    if (!m) throw new Error(`${key} is not pinned in scripts/toolchain/versions.env`);
    return m[1].trim();
}

/** The pinned Istio module in Go's module cache (samples/addons, manifests/addons), if it is there. */
export function istioModuleDir(): string | undefined {
    let cache = process.env.GOMODCACHE;
    if (!cache) {
        try {
            cache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
        } catch {
            return undefined;
        }
    }
    const dir = path.join(cache, "istio.io", `istio@${pin("ISTIO_MODVER")}`);
    return fs.existsSync(path.join(dir, "samples", "addons")) ? dir : undefined;
}
