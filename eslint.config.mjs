import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["bin/**", "node_modules/**", ".e2e/**", "test/e2e/tls-provider/**", "*.config.*"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { pulumi },
        rules: {
            // `${output}` renders "Calling [toString] on an Output<T>…" instead of the value.
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
            // Tests and mock records read untyped provider inputs.
            "@typescript-eslint/no-explicit-any": "off",
        },
    },
);
