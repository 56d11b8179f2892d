import { describe, expect, it } from 'vitest';
import { parseBfdProfile } from './bfd-profile.js';
import { invalidBgpObjects } from './testing/invalid-bgp.js';

const bfd = (spec: unknown): unknown => ({ metadata: { name: 'fast' }, spec });

describe('parseBfdProfile', () => {
  it('an empty profile keeps every FRR default', () => {
    expect(parseBfdProfile(bfd({}))).toEqual({
      ok: true,
      value: {
        name: 'fast',
        uid: '',
        receiveIntervalMs: undefined,
        transmitIntervalMs: undefined,
        detectMultiplier: undefined,
        echoMode: undefined,
        echoIntervalMs: undefined,
        passiveMode: undefined,
        minimumTtl: undefined,
      },
    });
  });

  it('reads every field at its bounds', () => {
    const r = parseBfdProfile(
      bfd({
        receiveInterval: 10,
        transmitInterval: 60000,
        detectMultiplier: 255,
        echoInterval: 10,
        echoMode: true,
        passiveMode: false,
        minimumTtl: 1,
      }),
    );
    expect(r.ok && r.value).toMatchObject({
      receiveIntervalMs: 10,
      transmitIntervalMs: 60000,
      detectMultiplier: 255,
      echoIntervalMs: 10,
      echoMode: true,
      passiveMode: false,
      minimumTtl: 1,
    });
  });

  it('needs a spec', () => {
    expect(parseBfdProfile({ metadata: { name: 'x' } })).toEqual({
      ok: false,
      error: ['spec: Required value'],
    });
  });

  it.each(invalidBgpObjects.filter((c) => c.kind === 'BFDProfile').map((c) => [c.name, c] as const))(
    'rejects %s like the CRD does',
    (_n, c) => {
      const r = parseBfdProfile(c.manifest);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.join('\n')).toContain(c.expected);
    },
  );
});
