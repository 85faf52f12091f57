/**
 * The program runs compiled ahead of time (scripts/build.js, main.js): the files whose hash
 * decides whether bin/program is current are the files tsc compiles, and Pulumi runs main.js.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import * as YAML from "yaml";

const ROOT = path.join(__dirname, "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script
const build = require("../scripts/build.js") as { programSources(): string[] };

test("the build's staleness check hashes exactly the files tsconfig.build.json compiles", () => {
    const file = path.join(ROOT, "tsconfig.build.json");
    const { config } = ts.readConfigFile(file, ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, file);
    expect(parsed.errors).toEqual([]);
    expect(parsed.options.outDir).toBe(path.join(ROOT, "bin", "program"));
    const compiled = parsed.fileNames.map((f) => path.relative(ROOT, f).split(path.sep).join("/")).sort();
    expect(build.programSources().sort()).toEqual(compiled);
    expect(compiled).toContain("index.ts");
    expect(compiled.filter((f) => f.startsWith("stacks/app/"))).toEqual([]);
});

test("Pulumi runs main.js, which runs the compiled index.ts, without ts-node", () => {
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    expect(project.main).toBe("main.js");
    expect(project.runtime.options.typescript).toBe(false);
    expect(fs.readFileSync(path.join(ROOT, "main.js"), "utf8")).toContain('require("./bin/program/index.js")');
});
