import { ConfigError, parseMeshConfig } from "../../stacks/config";

/** The problems parseMeshConfig reports for `raw`, or [] if it is valid. */
export function configProblems(raw: Record<string, unknown>): string[] {
    try {
        parseMeshConfig(raw);
        return [];
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return [...(e as ConfigError).problems];
    }
}
