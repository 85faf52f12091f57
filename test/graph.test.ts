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

    test("gateways wait for istiod, which injects their pods", () => {
        for (const c of ["aws-east", "azure-west", "aws-west"]) waitsFor(`mesh-${c}-eastwest-release`, `mesh-${c}-istio-istiod`);
    });

    test("the load balancer comes first: istiod serving remotes waits for its address, nothing waits for gateway pods to get it", () => {
        waitsFor("mesh-aws-east-istio-istiod", "mesh-aws-east-istio-eastwest-service");
        expect(at("mesh-aws-east-istio-eastwest-service").start).toBeLessThan(at("mesh-aws-east-istio-base").end);
        doesNotWaitFor("mesh-azure-west-istio-istiod", "mesh-azure-west-istio-eastwest-service");
    });

    test("Istio custom resources wait for their CRDs and for the istiod that validates them (and so go first on destroy)", () => {
        for (const r of [
            "aws-east-istio-mtls",
            "aws-east-istio-cross-network-gateway",
            "aws-east-istio-istiod-gateway",
            "aws-east-istio-istiod-vs",
            "aws-east-istio-default-destination-rule",
            "azure-west-istio-mtls",
            "azure-west-istio-default-destination-rule",
        ]) {
            waitsFor(`mesh-${r}`, `mesh-${r.split("-istio-")[0]}-istio-base`);
            waitsFor(`mesh-${r}`, `mesh-${r.split("-istio-")[0]}-istio-istiod`);
        }
        waitsFor("mesh-aws-west-istio-reader-token", "mesh-aws-west-istio-base");
    });

    test("a remote waits for its primary's gateway address and serving istiod, not for the gateway's pods", () => {
        waitsFor("mesh-aws-west-istio-istiod", "mesh-aws-east-istio-eastwest-service");
        waitsFor("mesh-aws-west-istio-istiod", "mesh-aws-east-istio-istiod");
        waitsFor("mesh-aws-west-istio-istiod", "mesh-aws-east-istio-istiod-gateway");
        waitsFor("mesh-aws-west-istio-istiod", "mesh-aws-east-istio-istiod-vs");
        waitsFor("mesh-aws-west-istio-base", "mesh-aws-east-istio-eastwest-service");
        expect(at("mesh-aws-west-istio-istiod").start).toBeLessThan(at("mesh-aws-east-eastwest-release").end);
    });

    test("a remote's gateway waits for the whole path its injection takes: primary's remote secret, gateway pods, istiod exposure", () => {
        waitsFor("mesh-aws-west-eastwest-release", "mesh-aws-east-istio-remote-aws-west");
        waitsFor("mesh-aws-west-eastwest-release", "mesh-aws-east-eastwest-release");
        waitsFor("mesh-aws-west-eastwest-release", "mesh-aws-east-istio-istiod-gateway");
        waitsFor("mesh-aws-west-eastwest-release", "mesh-aws-east-istio-istiod-vs");
    });

    test("a reader token, and so every remote secret carrying it, waits for the reader's RBAC from the istiod chart", () => {
        for (const c of ["aws-east", "azure-west", "aws-west"]) {
            waitsFor(`mesh-${c}-istio-reader-token`, `mesh-${c}-istio-istiod`);
            waitsFor(`mesh-${c}-istio-reader-token`, `mesh-${c}-istio-base`);
        }
        waitsFor("mesh-aws-east-istio-remote-aws-west", "mesh-aws-west-istio-istiod");
        waitsFor("mesh-azure-west-istio-remote-aws-west", "mesh-aws-west-istio-istiod");
    });

    test("each remote secret waits for the two clusters it joins", () => {
        for (const [w, t] of [["aws-east", "aws-west"], ["aws-east", "azure-west"], ["azure-west", "aws-east"], ["azure-west", "aws-west"]]) {
            waitsFor(`mesh-${w}-istio-remote-${t}`, `mesh-${t}-istio-reader-token`);
            waitsFor(`mesh-${w}-istio-remote-${t}`, `mesh-${w}-istio-namespace`);
        }
    });

    test("...and for nothing else", () => {
        // Nor for the watching cluster's own gateway.
        doesNotWaitFor("mesh-azure-west-istio-remote-aws-west", "mesh-azure-west-eastwest-release");
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
        for (const name of ["mesh-onprem-istio-istiod", "mesh-onprem-eastwest-release", "mesh-onprem-istio-eastwest-service"]) {
            doesNotWaitFor(name, "mesh-aws-east-eks");
            doesNotWaitFor(name, "mesh-azure-west-aks");
        }
    });

    test("its remote secrets for the slower clusters wait only for those", () => {
        waitsFor("mesh-onprem-istio-remote-aws-east", "mesh-aws-east-istio-reader-token");
        doesNotWaitFor("mesh-onprem-istio-remote-azure-west", "mesh-aws-east-eks");
    });
});
