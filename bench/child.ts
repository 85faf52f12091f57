/**
 * Each measurement of a bench runs in a fresh Node process (the bench's own file run again with
 * BENCH_* variables), so one run's heap, JIT and module cache never colour the next.
 */
import { execFileSync } from "child_process";

/** Runs `file` again in a new process with `env` added, and returns the result it reported. */
export function runInChild<T>(file: string, env: Record<string, string>): T {
    return JSON.parse(execFileSync(process.execPath, [...process.execArgv, file], { env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 1 << 26 }));
}

/** In the child: writes the measurement's result for runInChild, or fails the process with its error. */
export function reportToParent(measurement: Promise<unknown>): void {
    measurement.then(
        (r) => {
            process.stdout.write(JSON.stringify(r));
            process.exit(0);
        },
        (e) => {
            console.error(e);
            process.exit(1);
        },
    );
}
