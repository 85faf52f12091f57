/** Raw `mesh:policy` values for the mesh-wide policy tests. */
import * as fc from "fast-check";

/** Valid raw Istio objects of every kind mesh:policy.resources accepts. */
export const RAW_RESOURCES = {
    strictApi: { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "api-strict" }, spec: { selector: { matchLabels: { app: "api" } }, mtls: { mode: "STRICT" } } },
    denyDebug: {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "deny-debug-paths" },
        spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/debug/*"] } }] }] },
    },
    jwt: { apiVersion: "security.istio.io/v1", kind: "RequestAuthentication", metadata: { name: "corp-jwt" }, spec: { selector: { matchLabels: { auth: "jwt" } }, jwtRules: [{ issuer: "https://login.example.com" }] } },
    dbPool: {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: "db-pool", labels: { tier: "data" } },
        spec: { host: "db.data.svc.cluster.local", trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } } } },
    },
    externalApi: {
        apiVersion: "networking.istio.io/v1",
        kind: "ServiceEntry",
        metadata: { name: "payments-provider" },
        spec: { hosts: ["api.payments.example.com"], ports: [{ number: 443, name: "https", protocol: "TLS" }], resolution: "DNS", location: "MESH_EXTERNAL" },
    },
    accessLogs: { apiVersion: "telemetry.istio.io/v1", kind: "Telemetry", metadata: { name: "mesh-default" }, spec: { accessLogging: [{ providers: [{ name: "envoy" }] }] } },
    concurrency: { apiVersion: "networking.istio.io/v1beta1", kind: "ProxyConfig", metadata: { name: "proxy-defaults" }, spec: { concurrency: 2 } },
    shadowAllow: {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "allow-monitoring", annotations: { "istio.io/dry-run": "true" } },
        spec: { selector: { matchLabels: { app: "prometheus" } }, action: "ALLOW", rules: [{ to: [{ operation: { ports: ["15020"] } }] }] },
    },
} as const;

/** A random valid `mesh:policy` (possibly empty). */
export const rawPolicy = fc
    .record({
        denyByDefault: fc.constantFrom<boolean | "dry-run">(false, true, "dry-run"),
        allows: fc.integer({ min: 0, max: 2 }),
        sidecar: fc.boolean(),
        resources: fc.subarray(Object.values(RAW_RESOURCES)),
    })
    .map(({ denyByDefault, allows, sidecar, resources }) => ({
        denyByDefault,
        allow:
            denyByDefault === false
                ? []
                : Array.from({ length: allows }, (_, i) => ({
                      name: `allow-${i}`,
                      ...(i % 2 ? { selector: { matchLabels: { app: `app-${i}` } } } : {}),
                      rules: [{ from: [{ source: { namespaces: [`ns-${i}`] } }] }],
                  })),
        ...(sidecar ? { sidecarEgressHosts: ["./*", "istio-system/*"] } : {}),
        resources,
    }));
