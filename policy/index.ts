/**
 * The mesh's policy pack: `pulumi preview|up --policy-pack policy/analyzer --policy-pack-config
 * policy/config/<stack>.json` (scripts/ci/preview.sh, scripts/ci/up.sh), and as a standard pack for
 * `pulumi policy publish policy`. Policies: policies.ts; why `analyzer` launches it: the README.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";
import { keepSecretMarkers } from "./secrets";

// Before the pack serves: policies must see which values are secret.
keepSecretMarkers();

new PolicyPack(PACK_NAME, {
    description: "The mesh's security invariants: STRICT mTLS, credentials only in secrets, a protected root CA, explicit providers, read-only remote secrets, one pinned Istio release, least-privilege RBAC.",
    enforcementLevel: "mandatory",
    policies,
});
