// jest globalTeardown: the run's scratch root goes, whether the tests passed or not.
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- loaded by jest as CommonJS */
const fs = require("fs");

module.exports = async () => {
    const dir = process.env.MESH_TEST_SCRATCH;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
