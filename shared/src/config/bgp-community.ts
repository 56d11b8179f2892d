/**
 * BGP community text as BGPAdvertisement `spec.communities` takes it (MetalLB's syntax minus aliases):
 * - standard `AA:NN`, two decimal numbers 0-65535 without leading zeros;
 * - large `large:A:B:C`, three decimal numbers 0-4294967295 without leading zeros;
 * - a well-known standard community by the name FRR prints (`no-export`, `no-advertise`, ...).
 * The patterns are regular expressions so that the CRD's CEL rule (generate.py) and this parser are the
 * same text: a number's range is in the pattern, not in a numeric comparison.
 */
const U16 = '(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0)';
const U32 =
  '(429496729[0-5]|42949672[0-8][0-9]|4294967[01][0-9]{2}|429496[0-6][0-9]{3}|42949[0-5][0-9]{4}|' +
  '4294[0-8][0-9]{5}|429[0-3][0-9]{6}|42[0-8][0-9]{7}|4[01][0-9]{8}|[1-3][0-9]{9}|[1-9][0-9]{0,8}|0)';
export const STANDARD_COMMUNITY_PATTERN = `^${U16}:${U16}$`;
export const LARGE_COMMUNITY_PATTERN = `^large:${U32}:${U32}:${U32}$`;
const LARGE_COMMUNITY_PREFIX = 'large:';

/** Well-known standard communities (RFC 1997, 7611, 7999, 8326, 8642) by the name FRR prints → 32-bit value. */
export const WELL_KNOWN_COMMUNITY_VALUES: Readonly<Record<string, number>> = {
  internet: 0,
  'graceful-shutdown': 0xffff0000,
  'accept-own': 0xffff0001,
  'llgr-stale': 0xffff0006,
  'no-llgr': 0xffff0007,
  blackhole: 0xffff029a,
  'no-export': 0xffffff01,
  'no-advertise': 0xffffff02,
  'local-AS': 0xffffff03,
  'no-peer': 0xffffff04,
};

/** The names of WELL_KNOWN_COMMUNITY_VALUES (what the parser and the CRD's CEL rule accept). */
export const WELL_KNOWN_COMMUNITIES: readonly string[] = Object.keys(WELL_KNOWN_COMMUNITY_VALUES);

export const COMMUNITY_MAX_LENGTH = 64;

export const communityMessage = (s: string): string =>
  `'${s}' is not a BGP community (AA:NN with numbers 0-65535, large:A:B:C with numbers 0-4294967295, or a well-known name such as no-export)`;

const standardRe = new RegExp(STANDARD_COMMUNITY_PATTERN);
const largeRe = new RegExp(LARGE_COMMUNITY_PATTERN);

export type Community = { kind: 'standard'; text: string } | { kind: 'large'; text: string };

/** `65000:100` → standard; `large:1:2:3` → large `1:2:3`; `no-export` → standard; else undefined. */
export function parseCommunity(text: string): Community | undefined {
  if (standardRe.test(text) || WELL_KNOWN_COMMUNITIES.includes(text)) return { kind: 'standard', text };
  if (largeRe.test(text)) return { kind: 'large', text: text.slice(LARGE_COMMUNITY_PREFIX.length) };
  return undefined;
}
