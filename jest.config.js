/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/test", "<rootDir>/policy/test"],
    testMatch: ["**/*.test.ts"],
    // Type errors are caught once by `tsc --noEmit` in `npm test`; here transpile only.
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    testTimeout: 60000,
};
