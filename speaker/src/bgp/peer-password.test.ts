import { describe, expect, it } from 'vitest';
import { peerPassword, wantedPasswordSecrets } from './peer-password.js';

const ref = { name: 'bgp-r1', key: 'password' };
const namespace = 'ironlb-system';

describe('peerPassword', () => {
  it('a peer without passwordSecret has no password, whatever the Secret state', () => {
    expect(peerPassword({ ref: undefined, namespace, secret: { kind: 'absent' } })).toEqual({
      ok: true,
      value: undefined,
    });
  });

  it("returns the key's value when it is a valid password", () => {
    const secret = { kind: 'present', values: { password: 's3cr!t#x', other: 'y' } } as const;
    expect(peerPassword({ ref, namespace, secret })).toEqual({ ok: true, value: 's3cr!t#x' });
    const other = peerPassword({ ref: { name: 'bgp-r1', key: 'other' }, namespace, secret });
    expect(other).toEqual({ ok: true, value: 'y' });
  });

  it('waits (no problem reported) while the Secret has not been read yet', () => {
    expect(peerPassword({ ref, namespace, secret: { kind: 'loading' } })).toEqual({
      ok: false,
      error: 'loading',
    });
  });

  it('names the Secret and the key of each problem', () => {
    const problem = (secret: Parameters<typeof peerPassword>[0]['secret']): unknown => {
      const r = peerPassword({ ref, namespace, secret });
      return r.ok ? 'ok' : r.error;
    };
    expect(problem({ kind: 'absent' })).toEqual({
      reason: 'PasswordSecretNotFound',
      message: 'Secret ironlb-system/bgp-r1 not found',
    });
    expect(problem({ kind: 'present', values: { other: 'x' } })).toEqual({
      reason: 'PasswordKeyNotFound',
      message: "Secret ironlb-system/bgp-r1 has no key 'password'",
    });
    expect(problem({ kind: 'unreadable' })).toMatchObject({
      reason: 'PasswordSecretUnreadable',
      message: expect.stringContaining('cannot read Secret ironlb-system/bgp-r1') as unknown,
    });
  });

  it('refuses values FRR or the kernel cannot take, without repeating the value', () => {
    const long = 'x'.repeat(81);
    for (const bad of ['', 'with space', 'trailing-newline\n', 'tab\tx', long, 'ünicode']) {
      const r = peerPassword({ ref, namespace, secret: { kind: 'present', values: { password: bad } } });
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      if (r.ok || r.error === 'loading') continue;
      expect(r.error.reason).toBe('PasswordInvalid');
      if (bad !== '') expect(r.error.message).not.toContain(bad);
    }
    const max = 'x'.repeat(80);
    expect(peerPassword({ ref, namespace, secret: { kind: 'present', values: { password: max } } })).toEqual({
      ok: true,
      value: max,
    });
  });
});

describe('wantedPasswordSecrets', () => {
  it('groups the keys by Secret and skips peers without a password', () => {
    const wanted = wantedPasswordSecrets([
      { passwordSecret: { name: 'a', key: 'password' } },
      { passwordSecret: undefined },
      { passwordSecret: { name: 'a', key: 'other' } },
      { passwordSecret: { name: 'b', key: 'password' } },
    ]);
    expect([...wanted].map(([n, k]) => [n, [...k].sort()])).toEqual([
      ['a', ['other', 'password']],
      ['b', ['password']],
    ]);
  });
});
