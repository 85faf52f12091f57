/**
 * The program under mocks in a process of its own (see run.ts runMeshInChild): reads
 * `{ raw, preview, world }` on stdin, prints the registered resources, the distinct errors
 * that escaped as unhandled rejections and the cloud SDKs the process loaded, as JSON.
 */
import * as fs from "fs";
import { parseMeshConfig } from "../../stacks/config";
import { runMesh } from "./run";

const errors = new Set<string>();
process.on("unhandledRejection", (e) => errors.add(e instanceof Error ? e.message : String(e)));

const { raw, preview, world } = JSON.parse(fs.readFileSync(0, "utf8"));
runMesh(parseMeshConfig(raw), { preview, world }).then(
    ({ mocks }) => {
        const sdks = [...new Set(Object.keys(require.cache).flatMap((f) => /[\\/]node_modules[\\/]@pulumi[\\/](aws|azure-native)[\\/]/.exec(f)?.[1] ?? []))].sort();
        process.stdout.write(JSON.stringify({ resources: mocks.resources.map((r) => `${r.type}::${r.name}`), errors: [...errors], sdks }));
        process.exit(0);
    },
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
