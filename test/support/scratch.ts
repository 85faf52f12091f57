import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * A fresh directory for one test's fixtures (kubeconfigs with tokens among them), under the run's
 * scratch root: jest's global setup makes it and its teardown removes it (jest.config.js),
 * as /tmp is shared by every run on the machine.
 */
export function scratchDir(prefix: string): string {
    return fs.mkdtempSync(path.join(process.env.MESH_TEST_SCRATCH ?? os.tmpdir(), prefix));
}
