/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/test", "<rootDir>/policy/test"],
    testMatch: ["**/*.test.ts"],
    // Type errors are caught once by `tsc --noEmit` in `npm test`; here transpile only.
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    testTimeout: 60000,
    // Fixture files (test/support/scratch.ts) live under one directory per run, removed at its end.
    globalSetup: "<rootDir>/test/support/scratch-setup.js",
    globalTeardown: "<rootDir>/test/support/scratch-teardown.js",
};
