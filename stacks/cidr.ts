/** IPv4 CIDR arithmetic: parsing, overlap checks and subnet carving, pure and testable. */

export interface Cidr {
    readonly base: number; // network address as an unsigned 32-bit integer
    readonly prefix: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses "a.b.c.d/n"; undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Cidr | undefined {
    const m = CIDR.exec(text);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const base = octets.reduce((acc, o) => acc * 256 + o, 0);
    if (base % size(prefix) !== 0) return undefined;
    return { base, prefix };
}

export function formatCidr(c: Cidr): string {
    return `${formatIp(c.base)}/${c.prefix}`;
}

export function formatIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export function overlaps(a: Cidr, b: Cidr): boolean {
    return a.base < b.base + size(b.prefix) && b.base < a.base + size(a.prefix);
}

/** The n-th subnet of the given prefix length inside `parent`. */
export function subnet(parent: Cidr, prefix: number, index: number): Cidr {
    if (prefix < parent.prefix || index >= 2 ** (prefix - parent.prefix)) {
        throw new Error(`${formatCidr(parent)} has no subnet #${index} of size /${prefix}`);
    }
    return { base: parent.base + index * size(prefix), prefix };
}

/** The address `offset` hosts into the block (e.g. 10 for a cluster DNS service IP). */
export function hostAddress(c: Cidr, offset: number): string {
    return formatIp(c.base + offset);
}

/**
 * Splits a VPC into private and public subnets, one of each per zone: the block is cut into
 * the smallest power of two that holds 2 × zones subnets, private ones in the lower half and
 * public ones in the upper half.
 */
export function zoneSubnets(vpc: Cidr, zones: number): { private: string[]; public: string[] } {
    const bits = Math.ceil(Math.log2(2 * zones));
    const prefix = vpc.prefix + bits;
    const half = 2 ** (bits - 1);
    const range = Array.from({ length: zones }, (_, i) => i);
    return {
        private: range.map((i) => formatCidr(subnet(vpc, prefix, i))),
        public: range.map((i) => formatCidr(subnet(vpc, prefix, half + i))),
    };
}

/** The lists' CIDRs in order, each once: an allowlist extended with more sources. */
export function unionCidrs(...lists: readonly (readonly string[])[]): string[] {
    return [...new Set(lists.flat())];
}

function size(prefix: number): number {
    return 2 ** (32 - prefix);
}
