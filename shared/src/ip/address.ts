/**
 * IP addresses as (family, bigint). Parsing follows the Kubernetes CEL `isIP()` rules so the
 * TypeScript parser and the API server accept exactly the same strings: no leading zeros in IPv4
 * octets, no zones, no IPv4-mapped IPv6 (`::ffff:a.b.c.d`).
 */
export type IPFamily = 'IPv4' | 'IPv6';

export interface IPAddress {
  readonly family: IPFamily;
  /** 0 <= value < 2^bits(family) */
  readonly value: bigint;
}

/**
 * Family of an IP or CIDR text already known to be valid (from a parsed config, a Service status or a prefix we
 * formatted): IPv6 text always contains ':' and IPv4 text never does. Use parseIP for text that may be invalid.
 */
export function familyOfValidIP(text: string): IPFamily {
  return text.includes(':') ? 'IPv6' : 'IPv4';
}

/** Address width in bits: 32 for IPv4, 128 for IPv6. */
export function familyBits(family: IPFamily): number {
  return family === 'IPv4' ? 32 : 128;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseIPv4Value(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseHextets(text: string): bigint[] | undefined {
  if (text === '') return [];
  const groups = text.split(':');
  const out: bigint[] = [];
  for (const [i, group] of groups.entries()) {
    if (i === groups.length - 1 && group.includes('.')) {
      const v4 = parseIPv4Value(group);
      if (v4 === undefined) return undefined;
      out.push(v4 >> 16n, v4 & 0xffffn);
    } else if (HEXTET.test(group)) {
      out.push(BigInt(`0x${group}`));
    } else {
      return undefined;
    }
  }
  return out;
}

function parseIPv6Value(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseHextets(halves[0] ?? '');
  const tail = halves.length === 2 ? parseHextets(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  // An embedded IPv4 suffix may only appear at the very end.
  if (halves.length === 2 && (halves[0] ?? '').includes('.')) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** Parses a textual IPv4 or IPv6 address; undefined when Kubernetes' `isIP()` would say false. */
export function parseIP(text: string): IPAddress | undefined {
  if (text.includes(':')) {
    const value = parseIPv6Value(text);
    if (value === undefined || value >> 32n === MAPPED_PREFIX >> 32n) return undefined;
    return { family: 'IPv6', value };
  }
  const value = parseIPv4Value(text);
  return value === undefined ? undefined : { family: 'IPv4', value };
}

function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on ties.
  let best = { start: -1, len: 0 };
  let run = { start: -1, len: 0 };
  for (const [i, g] of groups.entries()) {
    if (g !== 0) {
      run = { start: -1, len: 0 };
      continue;
    }
    run = run.start < 0 ? { start: i, len: 1 } : { start: run.start, len: run.len + 1 };
    if (run.len > best.len) best = run;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(':');
  const head = hex.slice(0, best.start).join(':');
  const tail = hex.slice(best.start + best.len).join(':');
  return `${head}::${tail}`;
}

/** Canonical text: dotted decimal for IPv4, RFC 5952 for IPv6 (same as Go's netip). */
export function formatIP(address: IPAddress): string {
  if (address.family === 'IPv6') return formatIPv6(address.value);
  const v = address.value;
  return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString()).join('.');
}

/** Total order: IPv4 before IPv6, then numeric. */
export function compareIP(a: IPAddress, b: IPAddress): number {
  if (a.family !== b.family) return a.family === 'IPv4' ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function sameIP(a: IPAddress, b: IPAddress): boolean {
  return a.family === b.family && a.value === b.value;
}
