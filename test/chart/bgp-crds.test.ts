import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  BFD_BOUNDS,
  DNS_SUBDOMAIN_PATTERN,
  DURATION_PATTERN,
  LARGE_COMMUNITY_PATTERN,
  SECRET_KEY_PATTERN,
  STANDARD_COMMUNITY_PATTERN,
  WELL_KNOWN_COMMUNITIES,
  bgpFieldMessages,
  bgpPeerMessages,
} from '@ironlb/shared';

/**
 * The generated CRDs use the parsers' patterns, bounds and words (a quick check without an API server; the
 * invalid table against a real one is test/e2e/bgp-validation.test.ts). Reads the JSON text of each schema,
 * so a CEL rule's quoted pattern is compared as it appears there.
 */
const CRDS = join(import.meta.dirname, '../../charts/ironlb/crds');
function schemaText(file: string): string {
  const crd = parse(readFileSync(join(CRDS, file), 'utf8')) as {
    spec: { versions: { schema: { openAPIV3Schema: unknown } }[] };
  };
  return JSON.stringify(crd.spec.versions[0]?.schema.openAPIV3Schema);
}
/** A pattern as it appears in a CEL single-quoted literal inside the JSON text (each backslash doubled twice). */
const inCel = (pattern: string): string =>
  JSON.stringify(`'${pattern.replaceAll('\\', '\\\\')}'`).slice(1, -1);
/** The fixed part of a message built around a quoted value: `'x' is ...` → ` is ...`. */
const tail = (message: string): string => message.slice(message.indexOf("'", 1) + 1);

describe('BGP CRDs match the parsers', () => {
  it('BGPPeer', () => {
    const text = schemaText('ironlb.io_bgppeers.yaml');
    for (const p of [DURATION_PATTERN, SECRET_KEY_PATTERN, DNS_SUBDOMAIN_PATTERN])
      expect(text).toContain(inCel(p));
    for (const m of [
      bgpPeerMessages.holdTime,
      bgpPeerMessages.keepaliveTime,
      bgpPeerMessages.keepaliveNeedsHold,
      bgpPeerMessages.keepaliveShorter,
      bgpPeerMessages.sourceFamily,
      tail(bgpPeerMessages.secretKey('x')),
      tail(bgpFieldMessages.ip('x')),
      tail(bgpFieldMessages.unicast('x')),
      tail(bgpFieldMessages.duration('x')),
      tail(bgpFieldMessages.name('Secret', 'x')),
      tail(bgpFieldMessages.name('BFDProfile', 'x')),
    ]) {
      expect(text).toContain(JSON.stringify(m).slice(1, -1));
    }
  });

  it('BGPAdvertisement', () => {
    const text = schemaText('ironlb.io_bgpadvertisements.yaml');
    for (const p of [STANDARD_COMMUNITY_PATTERN, LARGE_COMMUNITY_PATTERN]) expect(text).toContain(inCel(p));
    for (const name of WELL_KNOWN_COMMUNITIES) expect(text).toContain(`'${name}'`);
    expect(text).toContain(tail(bgpFieldMessages.name('IPPool', 'x')));
    expect(text).toContain(tail(bgpFieldMessages.name('BGPPeer', 'x')));
  });

  it('BFDProfile', () => {
    const crd = parse(readFileSync(join(CRDS, 'ironlb.io_bfdprofiles.yaml'), 'utf8')) as {
      spec: {
        versions: {
          schema: {
            openAPIV3Schema: {
              properties: { spec: { properties: Record<string, { minimum?: number; maximum?: number }> } };
            };
          };
        }[];
      };
    };
    const props = crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties ?? {};
    for (const [field, bounds] of Object.entries(BFD_BOUNDS)) {
      expect({ field, min: props[field]?.minimum, max: props[field]?.maximum }).toEqual({
        field,
        min: bounds.min,
        max: bounds.max,
      });
    }
  });
});
