import { describe, expect, it } from 'vitest';
import { decodeHeartbeat, encodeHeartbeat, type Heartbeat } from './heartbeat-codec.js';

const secret = Buffer.from('s3cret-membership-key');
const hb: Heartbeat = {
  kind: 'alive',
  node: 'ilb-node-1',
  incarnation: 1_700_000_000_123n,
  sequence: 42,
  macs: ['02:00:00:00:00:11', '02:00:00:00:01:ff'],
};

describe('heartbeat codec', () => {
  it('round-trips every field', () => {
    const decoded = decodeHeartbeat(encodeHeartbeat(hb, secret), secret);
    expect(decoded).toEqual({ ok: true, value: hb });
  });

  it('round-trips a leaving message without MACs', () => {
    const leaving: Heartbeat = { ...hb, kind: 'leaving', macs: [] };
    expect(decodeHeartbeat(encodeHeartbeat(leaving, secret), secret)).toEqual({ ok: true, value: leaving });
  });

  it('rejects a datagram signed with another secret', () => {
    const decoded = decodeHeartbeat(encodeHeartbeat(hb, Buffer.from('other')), secret);
    expect(decoded).toEqual({ ok: false, error: 'bad signature' });
  });

  it('rejects any flipped bit', () => {
    const wire = encodeHeartbeat(hb, secret);
    for (const at of [4, 12, 16, 20, wire.length - 40, wire.length - 1]) {
      const tampered = Buffer.from(wire);
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      expect(decodeHeartbeat(tampered, secret).ok, `byte ${at}`).toBe(false);
    }
  });

  it('rejects short and foreign datagrams', () => {
    expect(decodeHeartbeat(Buffer.from('hello'), secret)).toEqual({ ok: false, error: 'short datagram' });
    const foreign = Buffer.alloc(64, 7);
    expect(decodeHeartbeat(foreign, secret)).toEqual({ ok: false, error: 'bad magic' });
  });
});
