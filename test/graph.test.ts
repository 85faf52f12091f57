/**
 * The graph's order, shown with mock resources that take their realistic time on a virtual clock: each
 * wait Istio needs happens, and no step waits for an unrelated cluster.
 */
import { parseMeshConfig } from "../stacks/config";
import { MeshMocks, Recorded } from "./support/mocks";
import { minutesOf } from "./support/durations";
import { runMesh } from "./support/run";
import { twoPrimariesAndRemote, multiPrimaryMultiNetwork } from "./support/topologies";

let mocks: MeshMocks;
const at = (name: string): Recorded => mocks.named(name);
/** `later` started only after `earlier` finished. */
function waitsFor(later: string, earlier: string) {
    expect([later, at(later).start >= at(earlier).end]).toEqual([later, true]);
}
/** `a` finished before `b` did: a does not wait for b. */
function doesNotWaitFor(a: string, b: string) {
    expect([a, "before", b, at(a).end < at(b).end]).toEqual([a, "before", b, true]);
}

describe("two primaries plus a remote, with a slow AKS", () => {
    beforeAll(async () => {
        // AKS takes 30 minutes here, so anything that waited on it would show.
        const delay = ({ type, name }: { type: string; name: string }) =>
            type === "azure-native:containerservice:ManagedCluster" ? 30 : minutesOf(type, name);
        mocks = (await runMesh(parseMeshConfig(twoPrimariesAndRemote()), { delay })).mocks;
    });

    test("istiod waits for its cacerts and base", () => {
        for (const c of ["aws-east", "azure-west"]) {
            waitsFor(`mesh-${c}-istio-istiod`, `mesh-${c}-istio-cacerts`);
            waitsFor(`mesh-${c}-istio-istiod`, `mesh-${c}-istio-base`);
            waitsFor(`mesh-${c}-istio-cacerts`, `mesh-pki-${c}-cert`);
        }
    });

    test("the Kubernetes provider waits for the nodes", () => {
        waitsFor("mesh-aws-east-k8s", "mesh-aws-east-nodes");
        waitsFor("mesh-aws-east-k8s", "mesh-aws-east-admin-platform-deployer-admin");
        waitsFor("mesh-azure-west-k8s", "mesh-azure-west-egress-ip-network-contributor");
        waitsFor("mesh-azure-west-k8s", "mesh-azure-west-aks");
        waitsFor("mesh-aws-east-istio-namespace", "mesh-aws-east-k8s");
    });

    test("gateways wait for istiod", () => {
        for (const c of ["aws-east", "azure-west", "aws-west"]) waitsFor(`mesh-${c}-eastwest-release`, `mesh-${c}-istio-istiod`);
        waitsFor("mesh-aws-east-eastwest-service", "mesh-aws-east-eastwest-release");
    });

    test("Istio custom resources wait for their CRDs", () => {
        for (const r of ["aws-east-istio-mtls", "aws-east-istio-cross-network-gateway", "aws-east-istio-istiod-gateway", "aws-east-istio-istiod-vs", "azure-west-istio-mtls"]) {
            waitsFor(`mesh-${r}`, `mesh-${r.split("-istio-")[0]}-istio-base`);
        }
        waitsFor("mesh-aws-west-istio-reader-token", "mesh-aws-west-istio-base");
    });

    test("a remote waits for its primary's gateway address", () => {
        waitsFor("mesh-aws-west-istio-istiod", "mesh-aws-east-eastwest-service");
    });

    test("a remote's gateway waits for its primary's remote secret", () => {
        waitsFor("mesh-aws-west-eastwest-release", "mesh-aws-east-istio-remote-aws-west");
    });

    test("each remote secret waits for the two clusters it joins", () => {
        for (const [w, t] of [["aws-east", "aws-west"], ["aws-east", "azure-west"], ["azure-west", "aws-east"], ["azure-west", "aws-west"]]) {
            waitsFor(`mesh-${w}-istio-remote-${t}`, `mesh-${t}-istio-reader-token`);
            waitsFor(`mesh-${w}-istio-remote-${t}`, `mesh-${w}-istio-namespace`);
        }
    });

    test("...and for nothing else", () => {
        // aws-west's token exists long before its primary's gateway does; the secret does not wait for that.
        expect(at("mesh-aws-east-istio-remote-aws-west").start).toBeLessThan(at("mesh-aws-east-eastwest-release").end);
        expect(at("mesh-aws-east-istio-remote-aws-west").start).toBeLessThan(at("mesh-aws-west-istio-istiod").end);
    });

    test("no cluster's Istio waits for an unrelated cluster", () => {
        for (const name of [
            "mesh-aws-east-istio-istiod",
            "mesh-aws-east-eastwest-release",
            "mesh-aws-west-istio-istiod",
            "mesh-aws-west-eastwest-release",
            "mesh-aws-east-istio-remote-aws-west",
        ]) {
            doesNotWaitFor(name, "mesh-azure-west-aks");
        }
    });
});

describe("an existing cluster does not wait for clouds", () => {
    beforeAll(async () => {
        mocks = (await runMesh(parseMeshConfig(multiPrimaryMultiNetwork()), { delay: ({ type, name }) => minutesOf(type, name) })).mocks;
    });

    test("its whole Istio is up before EKS or AKS exist", () => {
        for (const name of ["mesh-onprem-istio-istiod", "mesh-onprem-eastwest-release", "mesh-onprem-eastwest-service"]) {
            doesNotWaitFor(name, "mesh-aws-east-eks");
            doesNotWaitFor(name, "mesh-azure-west-aks");
        }
    });

    test("its remote secrets for the slower clusters wait only for those", () => {
        waitsFor("mesh-onprem-istio-remote-aws-east", "mesh-aws-east-istio-reader-token");
        doesNotWaitFor("mesh-onprem-istio-remote-azure-west", "mesh-aws-east-eks");
    });
});
