import { KubeApiError } from '@ironlb/shared/kube';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ObservedPeerStatus } from '../bgp/index.js';
import { fieldManagerFor, PeerStatusWriter } from './peer-status-writer.js';

function setup(observed: Map<string, ObservedPeerStatus>): {
  writer: PeerStatusWriter;
  applied: { name: string; status: unknown }[];
  failNext: (code: number) => void;
} {
  const applied: { name: string; status: unknown }[] = [];
  let fail: number | undefined;
  const writer = new PeerStatusWriter({
    nodeName: 'b',
    custom: {
      patchClusterCustomObjectStatus: (p) => {
        if (fail !== undefined) {
          const code = fail;
          fail = undefined;
          return Promise.reject(new KubeApiError(code, '{}', 'PATCH bgppeers'));
        }
        applied.push({ name: p.name, status: (p.body as { status: unknown }).status });
        return Promise.resolve({});
      },
    },
    observed: () => observed,
    logger: pino({ level: 'silent' }),
    debounceMs: 60_000,
    now: () => new Date('2026-12-01T03:00:00.123Z'),
  });
  return {
    writer,
    applied,
    failNext: (code) => {
      fail = code;
    },
  };
}

describe('PeerStatusWriter', () => {
  it('removes its entry from a peer that no longer selects this node, and fixes the summary', async () => {
    const observed = new Map<string, ObservedPeerStatus>([
      [
        'r1',
        {
          sessions: [
            { node: 'a', state: 'Established' },
            { node: 'b', state: 'Active' },
          ],
          summary: '1/2 Established; b Active',
        },
      ],
    ]);
    const t = setup(observed);
    t.writer.update(new Map());
    await t.writer.flush();
    expect(t.applied).toEqual([{ name: 'r1', status: { summary: '1/1 Established' } }]);
  });

  it('does not apply the same body again while the watch cache lags; applies again when it shows otherwise', async () => {
    const observed = new Map<string, ObservedPeerStatus>([['r1', { sessions: [], summary: undefined }]]);
    const t = setup(observed);
    t.writer.update(new Map([['r1', 'Established']]));
    await t.writer.flush();
    await t.writer.flush();
    const mine = { node: 'b', state: 'Established', lastChange: '2026-12-01T03:00:00Z' };
    expect(t.applied).toEqual([{ name: 'r1', status: { sessions: [mine], summary: '1/1 Established' } }]);
    // Another speaker's write raced with ours: the cache now shows a summary that misses our entry.
    observed.set('r1', {
      sessions: [{ node: 'a', state: 'Active' }, mine as never],
      summary: '0/1 Established; a Active',
    });
    await t.writer.flush();
    expect(t.applied[1]).toEqual({
      name: 'r1',
      status: { sessions: [mine], summary: '1/2 Established; a Active' },
    });
  });

  it('a failed write is retried on the next flush', async () => {
    const observed = new Map<string, ObservedPeerStatus>([['r1', { sessions: [], summary: undefined }]]);
    const t = setup(observed);
    t.writer.update(new Map([['r1', 'Active']]));
    t.failNext(500);
    await t.writer.flush();
    expect(t.applied).toEqual([]);
    await t.writer.flush();
    expect(t.applied.map((a) => a.name)).toEqual(['r1']);
  });

  it('one field manager per node, within the API limit of 128 characters', () => {
    expect(fieldManagerFor('node-a')).toBe('ironlb-speaker-node-a');
    expect(fieldManagerFor('x'.repeat(253))).toHaveLength(128);
  });
});
