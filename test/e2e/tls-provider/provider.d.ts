// Types of provider.js for test/tls-provider.test.ts (provider.js itself is plain JavaScript run by node).
import type { KeyObject } from "crypto";

type Props = Record<string, any>;

/** Pulumi's unknown-value sentinel. */
export declare const UNKNOWN: string;

export interface InputSpec {
    required?: boolean;
    default?: unknown;
    keepsPrior?: boolean;
    replace?: true | "pem";
}
export declare const TYPES: Record<string, { inputs: Record<string, InputSpec>; secrets: string[]; certificate?: boolean }>;

/** A diagnostic of the real provider: message "<summary>: <detail>". */
export declare class TlsError extends Error {
    readonly summary: string;
    readonly detail: string;
}

export interface CheckFailure {
    property: string;
    reason: string;
}

export declare class TlsProvider {
    constructor(options?: { now?: () => Date; warn?: (urn: string, message: string) => void });
    readonly version: string;
    check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures?: CheckFailure[] }>;
    diff(id: string, urn: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace?: boolean }>;
    create(urn: string, inputs: Props): Promise<{ id: string; outs: Props }>;
    read(id: string, urn: string, props: Props): Promise<{ id: string; props: Props }>;
    update(id: string, urn: string, olds: Props, news: Props): Promise<{ outs: Props }>;
    delete(): Promise<void>;
}

export declare function planChange(type: string, olds: Props | undefined, news: Props, now: Date): { planned: Props; replaces: string[]; changed: string[] };
export declare function unwrap<T>(value: T): T;
export declare function secret<T>(value: T): { value: T };
export declare function privateKeyAttributes(key: KeyObject): Record<string, string>;
export declare function subjectKeyId(publicKey: KeyObject): Buffer;
export declare function goTimeText(date: Date): string;
export declare function hashForState(der: Buffer): string;
