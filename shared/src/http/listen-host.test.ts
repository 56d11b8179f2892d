import { describe, expect, it } from 'vitest';
import { opsListenHost } from './listen-host.js';

const v4 = { family: 'IPv4' };
const v6 = { family: 'IPv6' };

describe('opsListenHost', () => {
  it('unconfigured with IPv6 on the host: :: (dual stack)', () => {
    expect(opsListenHost({ configured: undefined, addresses: [v4, v6] })).toBe('::');
    expect(opsListenHost({ configured: undefined, addresses: [v6] })).toBe('::');
  });

  it('unconfigured on an IPv4-only host (IPv6 disabled): 0.0.0.0', () => {
    expect(opsListenHost({ configured: undefined, addresses: [v4] })).toBe('0.0.0.0');
    expect(opsListenHost({ configured: undefined, addresses: [] })).toBe('0.0.0.0');
  });

  it('a configured host wins over the default (an empty flag counts as unset)', () => {
    expect(opsListenHost({ configured: '127.0.0.1', addresses: [v4, v6] })).toBe('127.0.0.1');
    expect(opsListenHost({ configured: '::1', addresses: [v4] })).toBe('::1');
    expect(opsListenHost({ configured: '', addresses: [v4, v6] })).toBe('::');
  });
});
