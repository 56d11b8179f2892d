import { type IPAddress, parseIP } from '../ip/address.js';
import { type Collector, type Json, readInteger, readObject, readString } from './fields.js';

/**
 * Field readers shared by the BGP parsers (bgp-peer.ts, bgp-advertisement.ts, bfd-profile.ts). Patterns are
 * the ones charts/ironlb/crds/generate.py writes into the CRDs; messages are the CRDs' word for word (CEL
 * rules) or the API server's own wording (OpenAPI minimum / maximum / maxLength).
 */

/** Kubernetes object names (DNS subdomain, at most 253 characters). */
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** Secret data keys. */
export const SECRET_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';
/** Whole-second durations: `90s`, `3m`, `1m30s`, `1h`. A subset of Go's (and CEL's) duration syntax. */
export const DURATION_PATTERN = '^([0-9]{1,5}h)?([0-9]{1,5}m)?([0-9]{1,5}s)?$';
const DURATION_MAX_LENGTH = 20;
const IP_MAX_LENGTH = 64;
/** ASNs (4-byte, RFC 6793) and LOCAL_PREF are unsigned 32-bit. */
export const UINT32_MAX = 4294967295;

const dnsRe = new RegExp(DNS_SUBDOMAIN_PATTERN);
const durationRe = new RegExp(DURATION_PATTERN);

export const bgpFieldMessages = {
  name: (kind: string, s: string): string => `'${s}' is not a valid ${kind} name (DNS subdomain)`,
  ip: (s: string): string => `'${s}' is not a valid IPv4 or IPv6 address`,
  unicast: (s: string): string =>
    `'${s}' is not a global unicast address (unspecified, loopback, multicast, link-local and broadcast addresses cannot peer)`,
  duration: (s: string): string => `'${s}' is not a duration in whole seconds like 90s, 3m or 1m30s`,
} as const;

export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && dnsRe.test(s);
}

/** Seconds of a DURATION_PATTERN text; undefined when the text does not match it (or is empty). */
function durationSeconds(text: string): number | undefined {
  const m = durationRe.exec(text);
  if (text === '' || m === null) return undefined;
  const [h, min, s] = [m[1], m[2], m[3]].map((g) => (g === undefined ? 0 : Number(g.slice(0, -1))));
  return (h ?? 0) * 3600 + (min ?? 0) * 60 + (s ?? 0);
}

/**
 * Go's `netip.Addr.IsGlobalUnicast` (CEL `ip(x).isGlobalUnicast()`): not unspecified, loopback, multicast,
 * link-local unicast or the IPv4 broadcast address. Private and ULA addresses are global unicast.
 */
function isGlobalUnicast(ip: IPAddress): boolean {
  const v = ip.value;
  if (ip.family === 'IPv4') {
    return !(v === 0n || v >> 24n === 127n || v >> 28n === 0xen || v >> 16n === 0xa9fen || v === 0xffffffffn);
  }
  return !(v === 0n || v === 1n || v >> 120n === 0xffn || v >> 118n === 0x3fan);
}

/** `metadata.name` (required) and `metadata.uid` ('' when absent). */
export function readNameAndUid(c: Collector, raw: unknown): { name: string; uid: string } {
  const meta = readObject(c, raw, 'metadata') ?? {};
  const name = readString(c, meta.name, 'metadata.name') ?? '';
  if (name === '') c.errors.push('metadata.name: Required value');
  const uid = readString(c, meta.uid, 'metadata.uid') ?? '';
  return { name, uid };
}

/** `spec`, which every BGP kind requires. */
export function readSpec(c: Collector, obj: Json): Json {
  if (obj.spec === undefined) c.errors.push('spec: Required value');
  return readObject(c, obj.spec, 'spec') ?? {};
}

/** An integer with OpenAPI `minimum` / `maximum`, reported in the API server's words. */
export function readBoundedInt(
  c: Collector,
  value: unknown,
  o: { path: string; min: number; max: number },
): number | undefined {
  const n = readInteger(c, value, o.path);
  if (n === undefined) return undefined;
  if (n < o.min) {
    c.errors.push(
      `${o.path}: Invalid value: ${n}: ${o.path} in body should be greater than or equal to ${o.min}`,
    );
    return undefined;
  }
  if (n > o.max) {
    c.errors.push(
      `${o.path}: Invalid value: ${n}: ${o.path} in body should be less than or equal to ${o.max}`,
    );
    return undefined;
  }
  return n;
}

/** A string with OpenAPI `maxLength`, reported in the API server's words. */
export function readBoundedString(
  c: Collector,
  value: unknown,
  o: { path: string; maxLength: number },
): string | undefined {
  const s = readString(c, value, o.path);
  if (s !== undefined && s.length > o.maxLength) {
    c.errors.push(`${o.path}: Too long: may not be more than ${o.maxLength} bytes`);
    return undefined;
  }
  return s;
}

/** An object name referring to another object of `kind` (maxLength 253, DNS subdomain). */
export function readObjectName(
  c: Collector,
  value: unknown,
  o: { path: string; kind: string },
): string | undefined {
  const s = readString(c, value, o.path);
  if (s === undefined) return undefined;
  if (!isDnsSubdomain(s)) {
    c.errors.push(`${o.path}: ${bgpFieldMessages.name(o.kind, s)}`);
    return undefined;
  }
  return s;
}

/** An IPv4 or IPv6 address that must be global unicast; undefined when it is not an IP address. */
export function readUnicastIP(c: Collector, value: unknown, path: string): IPAddress | undefined {
  const s = readBoundedString(c, value, { path, maxLength: IP_MAX_LENGTH });
  if (s === undefined) return undefined;
  const ip = parseIP(s);
  if (ip === undefined) {
    c.errors.push(`${path}: ${bgpFieldMessages.ip(s)}`);
    return undefined;
  }
  // Returned even when not unicast (the error is recorded): cross-field rules see the address as CEL does.
  if (!isGlobalUnicast(ip)) c.errors.push(`${path}: ${bgpFieldMessages.unicast(s)}`);
  return ip;
}

/** A whole-second duration (DURATION_PATTERN) in seconds, checked with `valid`; undefined when not a duration. */
export function readDurationSeconds(
  c: Collector,
  value: unknown,
  o: { path: string; valid: (seconds: number) => boolean; rangeMessage: string },
): number | undefined {
  const s = readBoundedString(c, value, { path: o.path, maxLength: DURATION_MAX_LENGTH });
  if (s === undefined) return undefined;
  const seconds = durationSeconds(s);
  if (seconds === undefined) {
    c.errors.push(`${o.path}: ${bgpFieldMessages.duration(s)}`);
    return undefined;
  }
  // Returned even when out of range (the error is recorded): cross-field rules compare it as CEL does.
  if (!o.valid(seconds)) c.errors.push(`${o.path}: ${o.rangeMessage}`);
  return seconds;
}
