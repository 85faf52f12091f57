// jest globalSetup: one scratch root per run for test/support/scratch.ts; the workers inherit it.
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- loaded by jest as CommonJS */
const fs = require("fs");
const os = require("os");
const path = require("path");

module.exports = async () => {
    process.env.MESH_TEST_SCRATCH = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-test-"));
};
