// The Pulumi program's entry point (Pulumi.yaml `main`): index.ts and what it imports, compiled
// ahead of time into bin/program by scripts/build.js, and compiled first if a source changed since
// the last build. Stack traces point into bin/program; NODE_OPTIONS=--enable-source-maps maps them
// back to the .ts lines.
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, run by Node as it is */
// V8's compiled code for the modules loaded from here on (the SDK's index, @pulumi/kubernetes, the
// program) is kept on disk between runs (Node >= 22.1; a no-op before), so each run parses less.
require("module").enableCompileCache?.();
try {
    require("./scripts/build.js").ensureBuilt();
} catch (e) {
    // A RunError prints its message alone (here tsc's errors), as a config error does.
    throw new (require("@pulumi/pulumi").RunError)(e.message);
}
module.exports = require("./bin/program/index.js");
