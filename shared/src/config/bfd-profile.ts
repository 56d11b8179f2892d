import type { BfdProfileConfig } from '../types/bgp.js';
import { type Result, err, ok } from '../types/result.js';
import { readBoundedInt, readNameAndUid, readSpec } from './bgp-fields.js';
import { type Collector, checkUnknown, isObject, readBoolean, typeError } from './fields.js';

/** MetalLB's bounds (the CRD's OpenAPI minimum / maximum); intervals in milliseconds. */
export const BFD_BOUNDS = {
  receiveInterval: { min: 10, max: 60000 },
  transmitInterval: { min: 10, max: 60000 },
  detectMultiplier: { min: 2, max: 255 },
  echoInterval: { min: 10, max: 60000 },
  minimumTtl: { min: 1, max: 254 },
} as const;

const SPEC_FIELDS = [
  'receiveInterval',
  'transmitInterval',
  'detectMultiplier',
  'echoInterval',
  'echoMode',
  'passiveMode',
  'minimumTtl',
] as const;

/**
 * Parses a BFDProfile with the CRD's rules and words. Unset fields stay undefined: the FRR driver leaves
 * them at FRR's defaults. An empty spec is a valid profile (all defaults).
 */
export function parseBfdProfile(obj: unknown): Result<BfdProfileConfig, string[]> {
  if (!isObject(obj)) return err([typeError('BFDProfile', 'object', obj)]);
  const c: Collector = { errors: [] };
  const { name, uid } = readNameAndUid(c, obj.metadata);
  const spec = readSpec(c, obj);
  checkUnknown(c, { obj: spec, path: 'spec', known: SPEC_FIELDS });
  const int = (field: keyof typeof BFD_BOUNDS): number | undefined =>
    readBoundedInt(c, spec[field], { path: `spec.${field}`, ...BFD_BOUNDS[field] });
  const config: BfdProfileConfig = {
    name,
    uid,
    receiveIntervalMs: int('receiveInterval'),
    transmitIntervalMs: int('transmitInterval'),
    detectMultiplier: int('detectMultiplier'),
    echoMode: readBoolean(c, spec.echoMode, 'spec.echoMode'),
    echoIntervalMs: int('echoInterval'),
    passiveMode: readBoolean(c, spec.passiveMode, 'spec.passiveMode'),
    minimumTtl: int('minimumTtl'),
  };
  return c.errors.length > 0 ? err(c.errors) : ok(config);
}
