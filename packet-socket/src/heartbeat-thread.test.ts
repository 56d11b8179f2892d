import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { startHeartbeatThread, type HeartbeatThread } from './heartbeat-thread.js';

/** The real native thread over loopback (no privileges needed). Timing-free: slots far in the future or past. */
const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

let receiver: Socket | undefined;
let thread: HeartbeatThread | undefined;
afterEach(() => {
  thread?.stop();
  receiver?.close();
  thread = undefined;
  receiver = undefined;
});

async function listen(): Promise<{ port: number; got: { text: string; from: string }[] }> {
  const socket = createSocket('udp4');
  receiver = socket;
  const got: { text: string; from: string }[] = [];
  socket.on('message', (m, r) => got.push({ text: m.toString(), from: r.address }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, got };
}

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function start(intervalMs = 60_000): HeartbeatThread {
  const r = startHeartbeatThread({ startMs: monotonicMs(), intervalMs, capacity: 4 });
  if (!r.ok) throw new Error(r.error);
  thread = r.value;
  return r.value;
}

describe('native heartbeat thread', () => {
  it('sends the current slot at once when urgent, each slot only once and never more than one slot early', async () => {
    const { port, got } = await listen();
    const t = start();
    t.setPeers([{ address: '127.0.0.1', port }], '127.0.0.1');
    const slot = (n: number): [number, Uint8Array] => [n, Buffer.from(`hb ${n}`)];
    t.setSlots([slot(0), slot(1), slot(2)], true); // slot 0 (current) now
    t.setSlots([slot(1)], true); // slot 0 is out: slot 1, one early
    t.setSlots([slot(2)], true); // slot 2 is two early: nothing
    await until('two heartbeats', () => got.length >= 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([
      { text: 'hb 0', from: '127.0.0.1' },
      { text: 'hb 1', from: '127.0.0.1' },
    ]);
    expect(t.stats()).toMatchObject({ heartbeats: 2, datagrams: 2, errors: 0, lastError: undefined });
  });

  it('drops slots whose time has passed instead of sending them late', async () => {
    const { port, got } = await listen();
    const r = startHeartbeatThread({ startMs: monotonicMs() - 10_000, intervalMs: 1000, capacity: 4 });
    if (!r.ok) throw new Error(r.error);
    thread = r.value;
    thread.setPeers([{ address: '127.0.0.1', port }], undefined);
    thread.setSlots([[3, Buffer.from('late')]], true); // slot 10 is current
    thread.send([Buffer.from('marker')], [{ address: '127.0.0.1', port }]);
    await until('the marker', () => got.length >= 1);
    expect(got.map((g) => g.text)).toEqual(['marker']);
    expect(thread.stats().heartbeats).toBe(0);
  });

  it('reports a source address that is not local once, then sends with the kernel-chosen one', async () => {
    const { port, got } = await listen();
    const t = start();
    t.setPeers([{ address: '127.0.0.1', port }], '198.18.255.77'); // not configured here (and no lab address)
    t.send([Buffer.from('x')], [{ address: '127.0.0.1', port }]);
    expect(t.stats().bindFailure).toEqual({ address: '198.18.255.77', code: 'EADDRNOTAVAIL' });
    expect(t.stats().bindFailure).toBeUndefined();
    await until('the datagram', () => got.length === 1);
  });

  it('counts datagrams the kernel refuses, with the errno code', () => {
    const t = start();
    // Broadcast without SO_BROADCAST: refused by the kernel (EACCES) before anything leaves the host.
    t.send([Buffer.from('x'), Buffer.from('y')], [{ address: '255.255.255.255', port: 9 }]);
    expect(t.stats()).toMatchObject({ datagrams: 0, errors: 2, lastError: 'EACCES' });
  });

  it('sends nothing after stop(), which is idempotent', async () => {
    const { port, got } = await listen();
    const t = start();
    t.setPeers([{ address: '127.0.0.1', port }], undefined);
    t.stop();
    t.stop();
    t.setSlots([[0, Buffer.from('hb 0')]], true);
    t.send([Buffer.from('late')], [{ address: '127.0.0.1', port }]);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([]);
  });

  it('throws a TypeError for malformed arguments (a bug in the caller)', () => {
    const t = start();
    expect(() => {
      t.setPeers([{ address: 'not-an-ip', port: 1 }], undefined);
    }).toThrow(TypeError);
    expect(() => {
      t.setPeers([{ address: '127.0.0.1', port: 0 }], undefined);
    }).toThrow(TypeError);
    expect(() => startHeartbeatThread({ startMs: 0, intervalMs: 0, capacity: 1 })).toThrow(TypeError);
  });
});
