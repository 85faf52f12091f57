/** The environments' stack files (Pulumi.<env>.yaml), for the tests. */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export const ROOT = path.join(__dirname, "..", "..");
/** Deploy order: what a merge to main goes through (.github/workflows/mesh.yml). */
export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;

/** A stack file's top-level keys, and its `mesh:*` config without the namespace (parseMeshConfig's input). */
export function stackFile(env: string): { file: Record<string, unknown>; raw: Record<string, unknown> } {
    const file = YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${env}.yaml`), "utf8"));
    const raw = Object.fromEntries(Object.entries(file.config as Record<string, unknown>).map(([k, v]) => [k.replace(/^mesh:/, ""), v]));
    return { file, raw };
}
