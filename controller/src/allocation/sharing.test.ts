import { describe, expect, it } from 'vitest';
import { sharingConflict } from './sharing.js';
import { req } from './testing/builders.js';

describe('sharingConflict', () => {
  const a = req('a', { sharingKey: 'k', ports: [{ protocol: 'TCP', port: 80 }] });
  it.each([
    ['no key', req('b'), 'it has no sharing key'],
    ['different key', req('b', { sharingKey: 'x' }), "sharing key 'x' differs from 'k'"],
    ['same port', req('b', { sharingKey: 'k' }), 'port TCP/80 is already used on that IP'],
    ['other port', req('b', { sharingKey: 'k', ports: [{ protocol: 'TCP', port: 443 }] }), null],
    ['same port other protocol', req('b', { sharingKey: 'k', ports: [{ protocol: 'UDP', port: 80 }] }), null],
  ])('%s', (_n, b, expected) => {
    expect(sharingConflict(a, b)).toBe(expected);
  });

  it('Local Services share only with identical selectors', () => {
    const base = { sharingKey: 'k', externalTrafficPolicy: 'Local' as const, selector: { app: 'x' } };
    const l1 = req('l1', { ...base, ports: [{ protocol: 'TCP', port: 80 }] });
    const l2 = req('l2', { ...base, ports: [{ protocol: 'UDP', port: 53 }] });
    const l3 = req('l3', { ...base, selector: { app: 'y' }, ports: [{ protocol: 'UDP', port: 53 }] });
    const c = req('c', { sharingKey: 'k', selector: { app: 'x' }, ports: [{ protocol: 'UDP', port: 53 }] });
    expect(sharingConflict(l1, l2)).toBeNull();
    expect(sharingConflict(l1, l3)).toContain('identical selectors');
    expect(sharingConflict(l1, c)).toContain('identical selectors');
  });
});
