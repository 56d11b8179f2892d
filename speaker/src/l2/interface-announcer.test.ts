import type { PacketSocket, PacketSocketOptions, Result } from '@ironlb/packet-socket';
import { createLogger } from '@ironlb/shared/log';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSpeakerMetrics, type SpeakerMetrics } from '../metrics.js';
import {
  decodeArp,
  decodeNdp,
  encodeArpRequest,
  encodeGratuitousArp,
  formatMac,
  ipBytesToText,
  ipTextToBytes,
  parseMac,
  solicitedNodeMac,
} from '../packet/index.js';
import type { Conflict } from './responder.js';
import { GRATUITOUS_SCHEDULE_MS, IPS_PER_LOG_LINE, InterfaceAnnouncer } from './interface-announcer.js';

const OUR_MAC = bytesOf(parseMac('02:00:00:00:00:01'));
const CLIENT_MAC = bytesOf(parseMac('02:00:00:00:00:99'));
const PEER_MAC = '02:00:00:00:00:02';

function bytesOf<T>(v: T | null): T {
  if (v === null) throw new Error('bad test constant');
  return v;
}

interface FakeSocket {
  readonly kind: string;
  readonly options: PacketSocketOptions;
  readonly sent: Uint8Array[];
  readonly joined: string[];
  closed: boolean;
}

/**
 * A scripted AF_PACKET: `down` makes opens fail (interface gone); `sendStatus` is what send() returns;
 * the test delivers frames through the socket's onFrames and breaks it through onError.
 */
function fakeSockets(): {
  open: (o: PacketSocketOptions) => Result<PacketSocket>;
  sockets: FakeSocket[];
  current: (kind: 'arp' | 'ndp') => FakeSocket | undefined;
  state: { down: boolean; sendStatus: string; receiveBufferBytes: number };
} {
  const sockets: FakeSocket[] = [];
  const state = { down: false, sendStatus: 'ok', receiveBufferBytes: 8_388_608 };
  const open = (options: PacketSocketOptions): Result<PacketSocket> => {
    if (state.down) return { ok: false, error: 'ENODEV' };
    const fake: FakeSocket = { kind: options.kind, options, sent: [], joined: [], closed: false };
    sockets.push(fake);
    return {
      ok: true,
      value: {
        interface: { name: 'eth0', ifindex: 2, mac: OUR_MAC, hwType: 1, up: true, running: true },
        receiveBuffer: {
          effectiveBytes: state.receiveBufferBytes,
          requestedBytes: options.receiveBufferBytes ?? 0,
          forced: false,
        },
        get closed(): boolean {
          return fake.closed;
        },
        send: (frame) => {
          if (state.sendStatus === 'ok') fake.sent.push(frame);
          return state.sendStatus;
        },
        addMembership: (mac) => {
          fake.joined.push(formatMac(mac));
          return 'ok';
        },
        dropMembership: (mac) => {
          fake.joined.splice(fake.joined.indexOf(formatMac(mac)), 1);
          return 'ok';
        },
        close: () => {
          fake.closed = true;
        },
      },
    };
  };
  const current = (kind: 'arp' | 'ndp'): FakeSocket | undefined =>
    sockets.filter((s) => s.kind === kind && !s.closed).at(-1);
  return { open, sockets, current, state };
}

interface Setup {
  announcer: InterfaceAnnouncer;
  io: ReturnType<typeof fakeSockets>;
  metrics: SpeakerMetrics;
  conflicts: (Conflict & { interface: string })[];
  abort: AbortController;
}

/** Started, with the deferred re-announce of the first open already run (nothing was held then). */
async function setup(o: { reannounceDelayMs?: number } = {}): Promise<Setup> {
  vi.useFakeTimers();
  const io = fakeSockets();
  const metrics = createSpeakerMetrics(new Registry());
  const conflicts: (Conflict & { interface: string })[] = [];
  const announcer = new InterfaceAnnouncer({
    interface: 'eth0',
    metrics,
    logger: createLogger({ name: 'test', level: 'silent' }),
    peerMacs: () => new Set([PEER_MAC]),
    onConflict: (c) => conflicts.push(c),
    conflictProbeIntervalMs: 0,
    reannounceDelayMs: o.reannounceDelayMs ?? 1000,
    openSocket: io.open,
  });
  const abort = new AbortController();
  announcer.start(abort.signal);
  await vi.advanceTimersByTimeAsync((o.reannounceDelayMs ?? 1000) + 1);
  return { announcer, io, metrics, conflicts, abort };
}

async function counter(
  c: SpeakerMetrics['gratuitousSent'] | SpeakerMetrics['sendErrors'],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await c.get()).values) out[Object.values(v.labels).join(',')] = v.value;
  return out;
}

/** ARP frames sent on the socket, as "op senderIp senderMac → targetIp". */
function arpSent(s: FakeSocket | undefined): string[] {
  return (s?.sent ?? []).flatMap((f) => {
    const a = decodeArp(f);
    return a
      ? [`${a.op} ${ipBytesToText(a.senderIp)} ${formatMac(a.senderMac)} -> ${ipBytesToText(a.targetIp)}`]
      : [];
  });
}

/** A log line as JSON; `ips` / `of` are in the lines listing IPs. */
interface LogLine {
  readonly [field: string]: unknown;
  readonly msg: string;
  readonly ips: string[];
  readonly of: number;
}

/** Started on eth0 with no peers, no probes and no re-announce delay; every log line lands in `lines`. */
function loggingAnnouncer(
  io: ReturnType<typeof fakeSockets>,
  metrics: SpeakerMetrics,
): { announcer: InterfaceAnnouncer; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const announcer = new InterfaceAnnouncer({
    interface: 'eth0',
    metrics,
    logger: createLogger({
      name: 'test',
      destination: { write: (l: string) => lines.push(JSON.parse(l) as LogLine) },
    }),
    peerMacs: () => new Set(),
    onConflict: () => undefined,
    conflictProbeIntervalMs: 0,
    reannounceDelayMs: 0,
    openSocket: io.open,
  });
  announcer.start(new AbortController().signal);
  return { announcer, lines };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('InterfaceAnnouncer', () => {
  it('constructor opens nothing; start opens one ARP and one NDP socket', () => {
    vi.useFakeTimers();
    const io = fakeSockets();
    const announcer = new InterfaceAnnouncer({
      interface: 'eth0',
      metrics: createSpeakerMetrics(new Registry()),
      logger: createLogger({ name: 'test', level: 'silent' }),
      peerMacs: () => new Set(),
      onConflict: () => undefined,
      conflictProbeIntervalMs: 0,
      reannounceDelayMs: 0,
      openSocket: io.open,
    });
    expect(io.sockets).toEqual([]);
    announcer.start(new AbortController().signal);
    expect(io.sockets.map((s) => s.kind)).toEqual(['arp', 'ndp']);
    announcer.stop();
    expect(io.sockets.every((s) => s.closed)).toBe(true);
  });

  it('taking over an IPv4 address sends gratuitous ARP (request + reply) on the schedule, with our MAC', async () => {
    const { announcer, io, metrics } = await setup();
    announcer.setIps(new Set(['192.0.2.10']));
    await vi.advanceTimersByTimeAsync(GRATUITOUS_SCHEDULE_MS.at(-1) ?? 0);
    const garp = [
      'request 192.0.2.10 02:00:00:00:00:01 -> 192.0.2.10',
      'reply 192.0.2.10 02:00:00:00:00:01 -> 192.0.2.10',
    ];
    const probe = 'request 0.0.0.0 02:00:00:00:00:01 -> 192.0.2.10';
    expect(arpSent(io.current('arp'))).toEqual([...garp, probe, ...garp, ...garp, ...garp]);
    expect(await counter(metrics.gratuitousSent)).toEqual({ ipv4: 8 });
    announcer.stop();
  });

  it('reassert sends a new full burst for announced IPs only', async () => {
    const { announcer, io, metrics } = await setup();
    announcer.setIps(new Set(['192.0.2.10']));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await counter(metrics.gratuitousSent)).toEqual({ ipv4: 8 });
    announcer.reassert(new Set(['192.0.2.10', '192.0.2.11']));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await counter(metrics.gratuitousSent)).toEqual({ ipv4: 16 });
    expect(arpSent(io.current('arp')).some((f) => f.includes('192.0.2.11'))).toBe(false);
    announcer.stop();
  });

  it('withdrawing an IP cancels the rest of its burst', async () => {
    const { announcer, io } = await setup();
    announcer.setIps(new Set(['192.0.2.10']));
    await vi.advanceTimersByTimeAsync(150); // bursts at 0 and 100 ms went out
    announcer.setIps(new Set());
    await vi.advanceTimersByTimeAsync(5_000);
    expect(arpSent(io.current('arp')).filter((f) => !f.includes('0.0.0.0'))).toHaveLength(4);
    expect(announcer.ips()).toEqual(new Set());
    announcer.stop();
  });

  it('answers ARP requests only for announced IPs, and counts them', async () => {
    const { announcer, io, metrics } = await setup();
    announcer.setIps(new Set(['192.0.2.10']));
    await vi.advanceTimersByTimeAsync(3_000);
    const socket = io.current('arp');
    if (socket === undefined) throw new Error('no ARP socket');
    socket.sent.length = 0;
    const ask = (ip: string): Buffer =>
      Buffer.from(
        encodeArpRequest({
          mac: CLIENT_MAC,
          senderIp: bytesOf(ipTextToBytes('192.0.2.100')),
          targetIp: bytesOf(ipTextToBytes(ip)),
        }),
      );
    socket.options.onFrames([ask('192.0.2.10'), ask('192.0.2.11')]);
    expect(arpSent(socket)).toEqual(['reply 192.0.2.10 02:00:00:00:00:01 -> 192.0.2.100']);
    expect((await metrics.requestsReceived.get()).values[0]?.value).toBe(2);
    expect((await metrics.repliesSent.get()).values[0]?.value).toBe(1);
    announcer.stop();
  });

  it('reports a foreign host claiming our IP as a conflict, but not another speaker taking over', async () => {
    const { announcer, io, conflicts } = await setup();
    announcer.setIps(new Set(['192.0.2.10']));
    await vi.advanceTimersByTimeAsync(3_000);
    const claim = (mac: string): Buffer =>
      Buffer.from(
        encodeGratuitousArp({
          mac: bytesOf(parseMac(mac)),
          ip: bytesOf(ipTextToBytes('192.0.2.10')),
          op: 'reply',
        }),
      );
    io.current('arp')?.options.onFrames([claim(PEER_MAC), claim('02:00:00:00:00:66')]);
    expect(conflicts).toEqual([
      { ip: '192.0.2.10', mac: '02:00:00:00:00:66', evidence: 'ARP reply', interface: 'eth0' },
    ]);
    announcer.stop();
  });

  it('keeps the solicited-node membership of an IPv6 address exactly while it is announced', async () => {
    const { announcer, io } = await setup();
    const group = formatMac(solicitedNodeMac(bytesOf(ipTextToBytes('2001:db8::10'))));
    announcer.setIps(new Set(['2001:db8::10']));
    expect(io.current('ndp')?.joined).toEqual([group]);
    await vi.advanceTimersByTimeAsync(3_000);
    const unsolicited = (io.current('ndp')?.sent ?? []).map(decodeNdp).filter((m) => m?.kind === 'na');
    expect(unsolicited).toHaveLength(GRATUITOUS_SCHEDULE_MS.length);
    announcer.setIps(new Set());
    expect(io.current('ndp')?.joined).toEqual([]);
    announcer.stop();
  });

  it('a failing send is counted by errno, not as a frame sent', async () => {
    const { announcer, io, metrics } = await setup();
    io.state.sendStatus = 'ENOBUFS';
    announcer.setIps(new Set(['192.0.2.10']));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await counter(metrics.gratuitousSent)).toEqual({});
    expect((await counter(metrics.sendErrors)).ENOBUFS).toBeGreaterThanOrEqual(8);
    announcer.stop();
  });

  it('after the interface comes back, re-announces what it still holds only after the re-announce delay', async () => {
    const { announcer, io } = await setup({ reannounceDelayMs: 1000 });
    announcer.setIps(new Set(['192.0.2.10', '192.0.2.11']));
    await vi.advanceTimersByTimeAsync(3_000);
    const first = io.current('arp');
    io.state.down = true;
    first?.options.onError({ code: 'ENETDOWN', message: 'eth0 down' });
    expect(first?.closed).toBe(true);
    expect(io.current('arp')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(500); // reopen attempts fail while the link is gone
    expect(io.current('arp')).toBeUndefined();
    io.state.down = false;
    await vi.advanceTimersByTimeAsync(1_000); // reopened (backoff ≤ 800 ms) ...
    const second = io.current('arp');
    expect(second).toBeDefined();
    announcer.setIps(new Set(['192.0.2.10'])); // ... and .11 moved away meanwhile
    expect(arpSent(second)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    const sentIps = new Set(arpSent(second).map((f) => f.split(' ')[1]));
    expect(sentIps).toEqual(new Set(['192.0.2.10']));
    announcer.stop();
  });

  it.each([
    { granted: 8_388_608, level: 'info' },
    { granted: 425_984, level: 'warn' },
  ])(
    'asks for 4 MiB, exports the $granted bytes granted and logs them at $level; stop removes the series',
    async ({ granted, level }) => {
      vi.useFakeTimers();
      const io = fakeSockets();
      io.state.receiveBufferBytes = granted;
      const metrics = createSpeakerMetrics(new Registry());
      const { announcer, lines } = loggingAnnouncer(io, metrics);
      expect(io.sockets.map((s) => s.options.receiveBufferBytes)).toEqual([4_194_304, 4_194_304]);
      const gauge = async (): Promise<number[]> =>
        (await metrics.socketRcvbufBytes.get()).values
          .filter((v) => v.labels.interface === 'eth0')
          .map((v) => v.value);
      expect(await gauge()).toEqual([granted]);
      const logged = lines.filter((l) => l.receiveBufferBytes === granted);
      expect(logged.map((l) => [l.level, l.socket])).toEqual([
        [level, 'arp'],
        [level, 'ndp'],
      ]);
      if (level === 'warn') expect(logged[0]?.msg).toContain('sysctl -w net.core.rmem_max=4194304');
      // A reopen with the same buffer logs nothing new.
      io.current('arp')?.options.onError({ code: 'ENETDOWN', message: 'eth0 down' });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(io.sockets.filter((s) => s.kind === 'arp')).toHaveLength(2);
      expect(lines.filter((l) => l.receiveBufferBytes === granted)).toHaveLength(2);
      announcer.stop();
      expect(await gauge()).toEqual([]);
    },
  );

  it('stop() withdraws everything, closes its sockets and sends nothing afterwards', async () => {
    const { announcer, io } = await setup();
    announcer.setIps(new Set(['192.0.2.10', '2001:db8::10']));
    announcer.stop();
    const counts = io.sockets.map((s) => s.sent.length);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(io.sockets.map((s) => s.sent.length)).toEqual(counts);
    expect(io.sockets.every((s) => s.closed)).toBe(true);
    expect(announcer.ips()).toEqual(new Set());
  });

  it('logs announced, reasserted and withdrawn IPs at most IPS_PER_LOG_LINE to a line, every IP once', () => {
    vi.useFakeTimers();
    const { announcer, lines } = loggingAnnouncer(fakeSockets(), createSpeakerMetrics(new Registry()));
    const ips = Array.from({ length: 150 }, (_, i) => `198.51.100.${i + 1}`);
    const logged = (msg: string): LogLine[] => lines.filter((l) => l.msg === msg);

    announcer.setIps(new Set([...ips, 'not-an-ip']));
    const announcing = logged('announcing');
    expect(IPS_PER_LOG_LINE).toBe(64);
    expect(announcing.map((l) => [l.ips.length, l.of, l.interface])).toEqual([
      [64, 150, 'eth0'],
      [64, 150, 'eth0'],
      [22, 150, 'eth0'],
    ]);
    expect(announcing.flatMap((l) => l.ips)).toEqual(ips);

    announcer.reassert(new Set(['198.51.100.7', '203.0.113.9']));
    expect(logged('reasserting after a co-claimer withdrew').map((l) => l.ips)).toEqual([['198.51.100.7']]);

    announcer.setIps(new Set(ips.slice(0, 10)));
    expect(logged('withdrawn').map((l) => [l.ips.length, l.of])).toEqual([
      [64, 140],
      [64, 140],
      [12, 140],
    ]);
    expect(logged('withdrawn').flatMap((l) => l.ips)).toEqual(ips.slice(10));

    const before = lines.length;
    announcer.setIps(new Set(ips.slice(0, 10)));
    expect(lines.slice(before)).toEqual([]);
    announcer.stop();
    expect(lines.slice(before).map((l) => [l.msg, l.ips])).toEqual([['withdrawn', ips.slice(0, 10)]]);
  });
});
