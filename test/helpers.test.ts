import * as fc from "fast-check";
import * as YAML from "yaml";
import { execKubeconfig } from "../components/clusters/kubeconfig";
import { loadBalancerAddress } from "../components/istio/gateway";
import { merge } from "../components/istio/values";
import { formatCidr, overlaps, parseCidr, zoneSubnets } from "../stacks/cidr";

describe("CIDR arithmetic", () => {
    test("parses and rejects", () => {
        expect(parseCidr("10.0.0.0/16")).toEqual({ base: 10 * 2 ** 24, prefix: 16 });
        for (const bad of ["10.0.0.1/16", "10.0.0.0", "256.0.0.0/8", "10.0.0.0/33", "a.b.c.d/8"]) expect(parseCidr(bad)).toBeUndefined();
    });

    test("zone subnets are disjoint and inside the VPC", () => {
        fc.assert(
            fc.property(fc.integer({ min: 8, max: 22 }), fc.integer({ min: 2, max: 6 }), (prefix, zones) => {
                const vpc = { base: 0x0a000000, prefix };
                const { private: priv, public: pub } = zoneSubnets(vpc, zones);
                const all = [...priv, ...pub].map((c) => parseCidr(c)!);
                expect(all).toHaveLength(2 * zones);
                for (let i = 0; i < all.length; i++) {
                    expect(overlaps(all[i], vpc)).toBe(true);
                    expect(all[i].prefix).toBeGreaterThan(prefix);
                    for (let j = i + 1; j < all.length; j++) expect(overlaps(all[i], all[j])).toBe(false);
                }
            }),
        );
        expect(zoneSubnets(parseCidr("10.0.0.0/16")!, 3)).toEqual({
            private: ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
            public: ["10.0.128.0/19", "10.0.160.0/19", "10.0.192.0/19"],
        });
    });

    test("overlap", () => {
        const c = (s: string) => parseCidr(s)!;
        expect(overlaps(c("10.0.0.0/8"), c("10.200.0.0/16"))).toBe(true);
        expect(overlaps(c("10.0.0.0/16"), c("10.1.0.0/16"))).toBe(false);
        expect(formatCidr(c("192.168.4.0/22"))).toBe("192.168.4.0/22");
    });
});

test("the east-west address: an IP, else a hostname", () => {
    expect(loadBalancerAddress({ loadBalancer: { ingress: [{ ip: "203.0.113.7" }] } } as any)).toBe("203.0.113.7");
    expect(loadBalancerAddress({ loadBalancer: { ingress: [{ hostname: "a.elb.amazonaws.com" }] } } as any)).toBe("a.elb.amazonaws.com");
    expect(loadBalancerAddress({ loadBalancer: { ingress: [] } } as any)).toBeUndefined();
    expect(loadBalancerAddress(undefined)).toBeUndefined();
});

test("Helm values: ours win, objects merge, arrays are replaced", () => {
    expect(merge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 1, e: 2 });
    expect(merge({ global: { meshID: "user" } }, { global: { meshID: "ours" } })).toEqual({ global: { meshID: "ours" } });
});

test("the Pulumi-side EKS kubeconfig gets tokens from the AWS CLI, never stores one", () => {
    const k = YAML.parse(execKubeconfig({ name: "c", server: "https://s", caData: "Q0E=", command: "aws", args: ["eks", "get-token"], env: { AWS_PROFILE: "p" } }));
    expect(k.users[0].user).toEqual({ exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token"], env: [{ name: "AWS_PROFILE", value: "p" }], interactiveMode: "Never" } });
    expect(k["current-context"]).toBe("c");
});
