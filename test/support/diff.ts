/**
 * What a config change does to the graph, from two runs under mocks: the resources it creates,
 * deletes, and those whose inputs change. Names identify resources (they are the URNs' last part
 * and pinned elsewhere), so a refactor that starts touching unrelated resources shows here.
 */
import { MeshConfig } from "../../stacks/config";
import { MockWorld, Recorded, reveal } from "./mocks";
import { runMesh } from "./run";

export interface GraphDiff {
    readonly created: string[];
    readonly deleted: string[];
    /** name → the top-level input keys that differ. */
    readonly changed: Record<string, string[]>;
}

const key = (r: Recorded) => `${r.type}::${r.name}`;

async function snapshot(config: MeshConfig, world?: MockWorld): Promise<Map<string, Record<string, unknown>>> {
    const { mocks } = await runMesh(config, { world });
    // Reads (Resource.get) are not managed resources; components have no inputs worth comparing.
    return new Map(mocks.resources.filter((r) => !r.id && r.custom).map((r) => [key(r), reveal(r.inputs) as Record<string, unknown>]));
}

export async function graphDiff(before: MeshConfig, after: MeshConfig, worlds: { before?: MockWorld; after?: MockWorld } = {}): Promise<GraphDiff> {
    const a = await snapshot(before, worlds.before);
    const b = await snapshot(after, worlds.after);
    const name = (k: string) => k.split("::")[1];
    const changed: Record<string, string[]> = {};
    for (const [k, inputs] of b) {
        const old = a.get(k);
        if (!old) continue;
        const fields = [...new Set([...Object.keys(old), ...Object.keys(inputs)])].filter((f) => JSON.stringify(old[f]) !== JSON.stringify(inputs[f]));
        if (fields.length > 0) changed[name(k)] = fields.sort();
    }
    return {
        created: [...b.keys()].filter((k) => !a.has(k)).map(name).sort(),
        deleted: [...a.keys()].filter((k) => !b.has(k)).map(name).sort(),
        changed,
    };
}
