/**
 * The Prometheus configurations the program writes, checked by the real Prometheus tools, built
 * from Prometheus' Go module (scripts/toolchain.sh prometheus; npm test's pretest builds them
 * when missing): `promtool check config` on every file a stack writes, and a real `prometheus`
 * on 127.0.0.1 loading the global file, federating itself under every cluster's job.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import * as YAML from "yaml";
import { federationJobName, globalPrometheusConfig } from "../components/observability/prometheus-config";
import { parseMeshConfig } from "../stacks/config";
import { stackFile } from "./support/environments";
import { findTool } from "./support/observability";
import { runMesh } from "./support/run";
import { scratchDir } from "./support/scratch";

const promtool = findTool("promtool");
const prometheus = findTool("prometheus");
const missing = (tool: string) =>
    `SKIPPED: ${tool} not found in the toolchain cache or on PATH; npm test's pretest builds it (scripts/ci/pretest.sh), or: bash scripts/toolchain.sh prometheus`;
if (!promtool) console.warn(missing("promtool"));
if (!prometheus) console.warn(missing("prometheus"));

const dir = scratchDir("mesh-prometheus-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every prometheus.yml a stack's program writes, by resource name. */
async function generatedFiles(raw: Record<string, unknown>): Promise<Record<string, string>> {
    const { mocks } = await runMesh(parseMeshConfig(raw));
    const maps = mocks.ofType("kubernetes:core/v1:ConfigMap").filter((r) => r.inputs?.data?.["prometheus.yml"] !== undefined);
    return Object.fromEntries(maps.map((r) => [r.name, r.inputs.data["prometheus.yml"] as string]));
}

function check(file: string): { status: number | null; output: string } {
    const r = spawnSync(promtool!, ["check", "config", file], { encoding: "utf8" });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

(promtool ? describe : describe.skip)("promtool check config", () => {
    test("passes every file of the production stack: each cluster's and the global one", async () => {
        const files = await generatedFiles(stackFile("prod").raw);
        expect(Object.keys(files).sort()).toEqual([
            "mesh-aws-east-observability-global-prometheus-config",
            "mesh-aws-east-observability-prometheus-config",
            "mesh-aws-west-observability-prometheus-config",
            "mesh-azure-west-observability-prometheus-config",
        ]);
        for (const [name, text] of Object.entries(files)) {
            const file = path.join(dir, `${name}.yml`);
            fs.writeFileSync(file, text);
            expect([name, check(file)]).toEqual([name, { status: 0, output: expect.stringContaining("SUCCESS") }]);
        }
    }, 120_000);

    test("passes each cluster's file when it remote-writes to an existing Prometheus with a token", async () => {
        const { raw } = stackFile("prod");
        const files = await generatedFiles({ ...raw, observability: { global: { remoteWrite: { url: "https://prom.example.com/api/v1/write", bearerToken: "t" } }, grafana: { enabled: false } } });
        expect(Object.keys(files)).toHaveLength(3);
        for (const [name, text] of Object.entries(files)) {
            expect(YAML.parse(text).remote_write).toHaveLength(1);
            const file = path.join(dir, `rw-${name}.yml`);
            fs.writeFileSync(file, text);
            expect([name, check(file)]).toEqual([name, { status: 0, output: expect.stringContaining("SUCCESS") }]);
        }
    }, 120_000);

    test("...and refuses a broken one (the check is real): a job twice, a timeout longer than its interval", () => {
        const good = globalPrometheusConfig({ meshId: "m", scrapeInterval: "15s", match: ["up"], targets: [{ cluster: "c1", network: "n", address: "127.0.0.1:1" }] });
        const twice = YAML.parse(good);
        twice.scrape_configs.push(twice.scrape_configs[0]);
        const slow = YAML.parse(good);
        slow.scrape_configs[0].scrape_timeout = "1m";
        for (const [name, config] of [
            ["twice", twice],
            ["slow", slow],
        ] as const) {
            const file = path.join(dir, `bad-${name}.yml`);
            fs.writeFileSync(file, YAML.stringify(config));
            const r = check(file);
            expect([name, r.status]).toEqual([name, 1]);
            expect(r.output).toMatch(name === "twice" ? /found multiple scrape configs with job name "federate-c1"/ : /scrape timeout greater than scrape interval/);
        }
    });
});

/**
 * The toolchain builds Prometheus with only the service discoveries the generated files use
 * (PROMETHEUS_BUILD_TAGS in scripts/toolchain/versions.env: remove_all_sd, enable_kubernetes_sd;
 * plugins/plugin_<name>.go of the module carry `//go:build !remove_all_sd || enable_<name>_sd`, and
 * plugins/minimum.go registers file and http unconditionally). What each file of the program uses
 * must be in; a discovery left out must fail the check (a build that accepted it would be a
 * promtool laxer than the one the chart runs, and Prometheus would refuse the file instead).
 */
(promtool ? describe : describe.skip)("the toolchain's service discoveries", () => {
    const job = (name: string, sd: Record<string, unknown>) => ({ global: { scrape_interval: "15s" }, scrape_configs: [{ job_name: name, ...sd }] });
    const run = (name: string, config: unknown) => {
        const file = path.join(dir, `sd-${name}.yml`);
        fs.writeFileSync(file, YAML.stringify(config));
        return check(file);
    };

    test("kept: kubernetes (Istio's scrape jobs), static (federation), file and http (always built in)", () => {
        for (const [name, sd] of [
            ["kubernetes", { kubernetes_sd_configs: [{ role: "pod" }] }],
            ["static", { static_configs: [{ targets: ["127.0.0.1:9090"] }] }],
            ["file", { file_sd_configs: [{ files: [path.join(dir, "targets.json")] }] }],
            ["http", { http_sd_configs: [{ url: "http://127.0.0.1:1/sd" }] }],
        ] as const) {
            expect([name, run(name, job(name, sd))]).toEqual([name, { status: 0, output: expect.stringContaining("SUCCESS") }]);
        }
    });

    test("left out: any other (consul, dns, ec2, azure, gce here), refused by promtool as the real one would refuse an unknown key", () => {
        for (const [name, sd] of [
            ["consul", { consul_sd_configs: [{ server: "127.0.0.1:8500" }] }],
            ["dns", { dns_sd_configs: [{ names: ["prometheus.example.com"] }] }],
            ["ec2", { ec2_sd_configs: [{ region: "us-east-1" }] }],
            ["azure", { azure_sd_configs: [{ subscription_id: "00000000-0000-0000-0000-000000000000", authentication_method: "ManagedIdentity" }] }],
            ["gce", { gce_sd_configs: [{ project: "p", zone: "us-east1-b" }] }],
        ] as const) {
            const r = run(name, job(name, sd));
            expect([name, r.status]).toEqual([name, 1]);
            expect(r.output).toMatch(new RegExp(`field ${name}_sd_configs not found`));
        }
    });
});

/** GET without keep-alive, so no socket outlives the test. */
function httpGet(url: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        http.get(url, { agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        }).on("error", reject);
    });
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

async function poll<T>(what: string, deadline: number, get: () => Promise<T | undefined>): Promise<T> {
    for (;;) {
        try {
            const v = await get();
            if (v !== undefined) return v;
        } catch {
            // not up yet
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

(prometheus ? describe : describe.skip)("a real Prometheus on the global configuration", () => {
    let child: ChildProcess | undefined;
    let log = "";
    afterAll(async () => {
        if (child && child.exitCode === null) {
            const exited = new Promise((r) => child!.once("exit", r));
            child.kill("SIGTERM");
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
            clearTimeout(timer);
            if (child.exitCode === null) child.kill("SIGKILL");
        }
    });

    test("loads it (/-/ready, /api/v1/status/config), and every cluster's federation job scrapes /federate", async () => {
        // The production mesh's clusters; every target is this Prometheus itself on 127.0.0.1, so that
        // nothing leaves the machine and each federation job has something real to scrape.
        const config = parseMeshConfig(stackFile("prod").raw);
        const port = await freePort();
        const address = `127.0.0.1:${port}`;
        const text = globalPrometheusConfig({
            meshId: config.meshId,
            scrapeInterval: "1s",
            match: config.observability.global.match,
            targets: config.clusters.map((c) => ({ cluster: c.name, network: c.network, address })),
        }).replace(/localhost:9090/, address);
        const file = path.join(dir, "global.yml");
        fs.writeFileSync(file, text);
        const data = fs.mkdtempSync(path.join(dir, "data-"));
        child = spawn(prometheus!, [`--config.file=${file}`, `--web.listen-address=${address}`, `--storage.tsdb.path=${data}`, "--log.level=warn"], { stdio: ["ignore", "pipe", "pipe"] });
        child.stdout!.on("data", (d) => (log += d));
        child.stderr!.on("data", (d) => (log += d));
        const deadline = Date.now() + 60_000;
        const base = `http://${address}`;
        const get = async (p: string) => {
            if (child!.exitCode !== null) throw new Error(`prometheus exited ${child!.exitCode}: ${log}`);
            return httpGet(`${base}${p}`);
        };

        await poll("/-/ready", deadline, async () => ((await get("/-/ready")).status === 200 ? true : undefined));
        const loaded = JSON.parse((await get("/api/v1/status/config")).body) as { status: string; data: { yaml: string } };
        expect(loaded.status).toBe("success");
        const jobs = YAML.parse(loaded.data.yaml).scrape_configs as { job_name: string; metrics_path: string; honor_labels: boolean; params: Record<string, string[]> }[];
        expect(jobs.map((j) => j.job_name)).toEqual([...config.clusters.map((c) => federationJobName(c.name)), "prometheus"]);
        for (const j of jobs.filter((x) => x.job_name.startsWith("federate-"))) {
            expect(j).toMatchObject({ metrics_path: "/federate", honor_labels: true, params: { "match[]": config.observability.global.match } });
        }

        // Each job scraped its target over /federate, labelled with its cluster and network.
        const up = await poll("a successful scrape of every federation job", deadline, async () => {
            const r = JSON.parse((await get(`/api/v1/query?query=${encodeURIComponent('up{job=~"federate-.*"} == 1')}`)).body) as { data: { result: { metric: Record<string, string> }[] } };
            return r.data.result.length === config.clusters.length ? r.data.result : undefined;
        });
        expect(up.map((s) => [s.metric.job, s.metric.cluster, s.metric.network]).sort()).toEqual(config.clusters.map((c) => [federationJobName(c.name), c.name, c.network]).sort());
    }, 120_000);
});
