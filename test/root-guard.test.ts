/** Config edits that would replace a running mesh's root are refused, key by key. */
import { parseMeshConfig } from "../stacks/config";
import { rootReplacingEdits } from "../stacks/root-guard";
import { issueRoot } from "./support/pki";
import { twoPrimariesAndRemote } from "./support/topologies";

const raw = () => twoPrimariesAndRemote() as Record<string, any>;
const edited = (pki: Record<string, unknown>, extra: Record<string, unknown> = {}) => parseMeshConfig({ ...raw(), ...extra, pki: { ...raw().pki, ...pki } });

let deployed: string;
beforeAll(async () => {
    deployed = await issueRoot(raw());
});

test("the config that issued the root matches it, and so do edits that leave the root alone", () => {
    expect(rootReplacingEdits(parseMeshConfig(raw()), deployed)).toEqual([]);
    expect(rootReplacingEdits(edited({ intermediateValidityDays: 90, protectRoot: false }), deployed)).toEqual([]);
});

test("organization, key algorithm, root validity and meshId each name their key, the deployed value and the rotation", () => {
    const problems = rootReplacingEdits(edited({ organization: "New Corp", keyAlgorithm: "ECDSA", rootValidityDays: 1825 }, { meshId: "new-mesh" }), deployed);
    expect(problems).toEqual([
        'mesh:meshId: "new-mesh" would replace the running mesh\'s root CA, issued with "prod-mesh"; a new root splits the mesh until every istiod trusts it. Keep "prod-mesh"; a root change is a rotation (README: Root CA rotation)',
        'mesh:pki.organization: "New Corp" would replace the running mesh\'s root CA, issued with "Example Corp"; a new root splits the mesh until every istiod trusts it. Keep "Example Corp"; a root change is a rotation (README: Root CA rotation)',
        'mesh:pki.keyAlgorithm: "ECDSA" would replace the running mesh\'s root CA, issued with "RSA"; a new root splits the mesh until every istiod trusts it. Keep "RSA"; a root change is a rotation (README: Root CA rotation)',
        "mesh:pki.rootValidityDays: 1825 would replace the running mesh's root CA, issued with 3650; a new root splits the mesh until every istiod trusts it. Keep 3650; a root change is a rotation (README: Root CA rotation)",
    ]);
});

test("an organization left to its default follows meshId, and is checked as such", async () => {
    const bare = { ...raw(), pki: {} };
    const root = await issueRoot(bare);
    expect(rootReplacingEdits(parseMeshConfig(bare), root)).toEqual([]);
    expect(rootReplacingEdits(parseMeshConfig({ ...bare, pki: { organization: "prod-mesh" } }), root)).toEqual([]);
});
