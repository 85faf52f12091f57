/** The day-two suite (test/e2e/day-two.sh): real engine, local clusters, one scenario after another. */
/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    rootDir: __dirname,
    testMatch: ["**/*.e2e.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    testTimeout: 20 * 60 * 1000,
    maxWorkers: 1,
};
