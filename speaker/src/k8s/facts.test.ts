import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { internalIps, nodeFacts } from './facts.js';

function node(ready: string | null, extra: Partial<V1Node['status']> = {}): V1Node {
  return {
    metadata: { name: 'n1', labels: { a: 'b' } },
    status: { conditions: ready === null ? [] : [{ type: 'Ready', status: ready }], ...extra },
  };
}

describe('nodeFacts', () => {
  it('counts Ready=True and Ready=Unknown as ready, Ready=False and a missing condition as not', () => {
    expect(nodeFacts(node('True')).ready).toBe(true);
    expect(nodeFacts(node('Unknown')).ready).toBe(true);
    expect(nodeFacts(node('False')).ready).toBe(false);
    expect(nodeFacts(node(null)).ready).toBe(false);
  });

  it('reads NetworkUnavailable', () => {
    const n = node('True');
    n.status?.conditions?.push({ type: 'NetworkUnavailable', status: 'True' });
    expect(nodeFacts(n).networkUnavailable).toBe(true);
    expect(nodeFacts(node('True')).networkUnavailable).toBe(false);
  });

  it('lists InternalIPs with IPv4 first', () => {
    const n = node('True', {
      addresses: [
        { type: 'InternalIP', address: '2001:db8::11' },
        { type: 'Hostname', address: 'n1' },
        { type: 'InternalIP', address: '192.0.2.11' },
      ],
    });
    expect(internalIps(n)).toEqual(['192.0.2.11', '2001:db8::11']);
  });
});
