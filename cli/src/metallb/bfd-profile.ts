import { API_GROUP_VERSION, BFD_PROFILE_KIND, parseBfdProfile, type BFDProfile } from '@ironlb/shared';
import type { Findings } from './diagnostics.js';
import { readBool, readInt, warnUnknownFields, type Obj } from './fields.js';
import { checkWithParser } from './parser-check.js';
import type { ObjectMeta, Translated } from './translated.js';

const INTS = [
  'receiveInterval',
  'transmitInterval',
  'detectMultiplier',
  'echoInterval',
  'minimumTtl',
] as const;
const BOOLS = ['echoMode', 'passiveMode'] as const;

/** MetalLB `BFDProfile` (metallb.io/v1beta1) → ironlb `BFDProfile`: same fields, same bounds, same name. */
export function translateBfdProfile(f: Findings, o: { meta: ObjectMeta; spec: Obj }): Translated[] {
  warnUnknownFields(f, { obj: o.spec, path: 'spec', known: [...INTS, ...BOOLS] });
  const profile: BFDProfile = {
    apiVersion: API_GROUP_VERSION,
    kind: BFD_PROFILE_KIND,
    metadata: o.meta,
    spec: {},
  };
  for (const key of INTS) {
    const v = readInt(f, { obj: o.spec, key, path: 'spec' });
    if (v !== undefined) profile.spec[key] = v;
  }
  for (const key of BOOLS) {
    const v = readBool(f, { obj: o.spec, key, path: 'spec' });
    if (v !== undefined) profile.spec[key] = v;
  }
  checkWithParser(f, { object: profile, parse: parseBfdProfile });
  return [{ object: profile, comments: [] }];
}
