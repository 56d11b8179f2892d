import type { Destination, HeartbeatThread, HeartbeatThreadStats } from '@ironlb/packet-socket';
import { afterEach, describe, expect, it } from 'vitest';
import { HeartbeatSender, type HeartbeatSenderOptions } from './heartbeat-sender.js';

/** A thread that records what the shell hands it; its stats are set by the test. */
class FakeThread implements HeartbeatThread {
  peers: { peers: Destination[]; source: string | undefined }[] = [];
  slots: { slots: number[]; payloads: string[]; urgent: boolean }[] = [];
  sent: { datagrams: string[]; to: Destination[] }[] = [];
  cleared = 0;
  stopped = 0;
  next: HeartbeatThreadStats = {
    heartbeats: 0,
    datagrams: 0,
    errors: 0,
    lastError: undefined,
    bindFailure: undefined,
  };
  setPeers(peers: Destination[], source: string | undefined): void {
    this.peers.push({ peers, source });
  }
  setSlots(slots: [number, Uint8Array][], urgent: boolean): void {
    this.slots.push({
      slots: slots.map(([s]) => s),
      payloads: slots.map(([, d]) => Buffer.from(d).toString()),
      urgent,
    });
  }
  send(datagrams: Uint8Array[], to: Destination[]): void {
    this.sent.push({ datagrams: datagrams.map((d) => Buffer.from(d).toString()), to });
  }
  clear(): void {
    this.cleared++;
  }
  stats(): HeartbeatThreadStats {
    const s = this.next;
    this.next = { ...s, bindFailure: undefined };
    return s;
  }
  stop(): void {
    this.stopped++;
  }
}

const peers = [
  { name: 'b', address: '192.0.2.2', port: 7946 },
  { name: 'c', address: '2001:db8::3', port: 7947 },
];

// One minute per slot: every call in a test happens in slot 0, so the slot numbers are exact.
interface Setup {
  thread: FakeThread;
  sender: HeartbeatSender;
  bindFailures: string[];
  sendFailures: string[];
  setVersion: (v: string) => void;
}

function setup(overrides: Partial<HeartbeatSenderOptions> = {}): Setup {
  const thread = new FakeThread();
  let version = 'v1';
  const bindFailures: string[] = [];
  const sendFailures: string[] = [];
  const sender = new HeartbeatSender({
    intervalMs: 60_000,
    aheadSlots: 3,
    sign: (slot) => Buffer.from(`${version}:${slot}`),
    startThread: () => ({ ok: true, value: thread }),
    onBindFailed: (address, error) => bindFailures.push(`${address} ${error}`),
    onSendFailed: (count, code) => sendFailures.push(`${count} ${code}`),
    ...overrides,
  });
  return {
    thread,
    sender,
    bindFailures,
    sendFailures,
    setVersion: (v: string) => {
      version = v;
    },
  };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('HeartbeatSender (shell around the native sending thread)', () => {
  it('hands the thread its peers, source and the slots signed ahead', () => {
    const { thread, sender } = setup();
    cleanup = () => sender.stop();
    expect(sender.start(peers, '192.0.2.1')).toEqual({ ok: true, value: undefined });
    expect(thread.peers).toEqual([
      {
        peers: [
          { address: '192.0.2.2', port: 7946 },
          { address: '2001:db8::3', port: 7947 },
        ],
        source: '192.0.2.1',
      },
    ]);
    expect(thread.slots).toEqual([
      { slots: [0, 1, 2, 3], payloads: ['v1:0', 'v1:1', 'v1:2', 'v1:3'], urgent: false },
    ]);
    expect(sender.finalSequence()).toBe(4);
  });

  it('asks for capacity for the slots ahead plus the current and an early one', () => {
    let capacity = 0;
    const thread = new FakeThread();
    const { sender } = setup({
      startThread: (o) => {
        capacity = o.capacity;
        return { ok: true, value: thread };
      },
    });
    cleanup = () => sender.stop();
    sender.start(peers, undefined);
    expect(capacity).toBe(5);
  });

  it('re-signs every slot already handed, urgently, when what heartbeats say changes', () => {
    const { thread, sender, setVersion } = setup();
    cleanup = () => sender.stop();
    sender.start(peers, '192.0.2.1');
    setVersion('v2');
    sender.resign();
    expect(thread.slots[1]).toEqual({
      slots: [0, 1, 2, 3],
      payloads: ['v2:0', 'v2:1', 'v2:2', 'v2:3'],
      urgent: true,
    });
  });

  it('hands nothing for slots the signer skips', () => {
    const { thread, sender } = setup({ sign: () => undefined });
    cleanup = () => sender.stop();
    sender.start(peers, undefined);
    sender.resign();
    expect(thread.slots).toEqual([]);
  });

  it('returns the error when the thread cannot start, and sends nothing', () => {
    const { sender } = setup({ startThread: () => ({ ok: false, error: 'EAGAIN' }) });
    expect(sender.start(peers, undefined)).toEqual({ ok: false, error: 'EAGAIN' });
    sender.send([Buffer.from('x')], peers);
    sender.resign();
  });

  it('sends claim chunks and pulls once, now, to the given peers only', () => {
    const { thread, sender } = setup();
    cleanup = () => sender.stop();
    sender.start(peers, undefined);
    sender.send([Buffer.from('chunk-1'), Buffer.from('chunk-2')], [peers[1]!]);
    sender.send([], peers);
    sender.send([Buffer.from('pull')], []);
    expect(thread.sent).toEqual([
      { datagrams: ['chunk-1', 'chunk-2'], to: [{ address: '2001:db8::3', port: 7947 }] },
    ]);
  });

  it('leaves: drops the pending slots, then sends the leave message repeat times to every peer', async () => {
    const { thread, sender } = setup();
    sender.start(peers, undefined);
    await sender.leave({ datagram: Buffer.from('bye'), repeat: 3, spacingMs: 1 });
    expect(thread.cleared).toBe(1);
    expect(thread.sent.map((s) => s.datagrams)).toEqual([['bye'], ['bye'], ['bye']]);
    expect(thread.sent[0]!.to).toHaveLength(2);
    await sender.stop();
    expect(thread.stopped).toBe(1);
  });

  it('reports a failed bind and refused datagrams (as deltas) instead of dropping them', async () => {
    const { thread, sender, bindFailures, sendFailures } = setup();
    sender.start(peers, '192.0.2.1');
    thread.next = {
      heartbeats: 3,
      datagrams: 4,
      errors: 2,
      lastError: 'EPERM',
      bindFailure: { address: '192.0.2.1', code: 'EADDRNOTAVAIL' },
    };
    await sender.leave({ datagram: Buffer.from('bye'), repeat: 1, spacingMs: 1 });
    thread.next = { ...thread.next, errors: 5, lastError: 'ENETUNREACH' };
    await sender.stop();
    expect(bindFailures).toEqual(['192.0.2.1 EADDRNOTAVAIL']);
    expect(sendFailures).toEqual(['2 EPERM', '3 ENETUNREACH']);
  });

  it('stop joins the thread once; later calls are no-ops', async () => {
    const { thread, sender } = setup();
    sender.start(peers, undefined);
    await sender.stop();
    await sender.stop();
    sender.send([Buffer.from('late')], peers);
    expect(thread.stopped).toBe(1);
    expect(thread.sent).toEqual([]);
  });
});
