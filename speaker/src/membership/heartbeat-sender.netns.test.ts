/**
 * The native heartbeat thread while the JS main thread is blocked, between two network namespaces joined by a
 * veth pair: a sender process (testing/stall-agent.ts, a real HeartbeatSender) busy-loops its main thread, and a
 * receiver process in the other namespace timestamps every datagram on arrival with the monotonic clock (shared
 * by all processes). Proves that
 * - pre-signed heartbeats keep arriving, one per slot, while the main thread is blocked for 1 s (within the
 *   stall tolerance), from the sender's node address;
 * - a main thread blocked longer than the stall tolerance goes silent once the slots signed ahead are used up,
 *   and nothing arrives after stop().
 * Needs root and iproute2; skipped otherwise. Only the ilb-t-* namespaces created here are touched.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const suffix = randomBytes(3).toString('hex');
const NS_S = `ilb-t-hs${suffix}`; // the speaker
const NS_R = `ilb-t-hr${suffix}`; // a peer
const IF_S = `ilb-t-hvs${suffix}`;
const IF_R = `ilb-t-hvr${suffix}`;
const SENDER_IP = '198.18.7.1';
const RECEIVER_IP = '198.18.7.2';
const PORT = 7946;
const canRun = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;
const why = canRun ? '' : ' (SKIPPED: needs root and iproute2)';

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

interface Arrival {
  atMs: number;
  from: string;
  slot: number;
}

/** A UDP receiver in the peer's namespace; prints one line per datagram: monotonic ms, source, payload. */
const RECEIVER = `
const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => process.stdout.write(JSON.stringify({ atMs: Number(process.hrtime.bigint() / 1000000n), from: r.address, text: m.toString() }) + '\\n'));
s.bind(${PORT}, '${RECEIVER_IP}', () => process.stdout.write('{"ready":true}\\n'));
`;

function lines(child: ChildProcess, onLine: (v: Record<string, unknown>) => void): void {
  if (!child.stdout) throw new Error('no stdout');
  createInterface({ input: child.stdout }).on('line', (l) => {
    onLine(JSON.parse(l) as Record<string, unknown>);
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${String(child.pid)}] ${d.toString()}`));
}

describe.skipIf(!canRun)(`native heartbeat thread with a blocked main thread${why}`, () => {
  let receiver: ChildProcess;
  const arrivals: Arrival[] = [];

  beforeAll(async () => {
    ip(['netns', 'add', NS_S]);
    ip(['netns', 'add', NS_R]);
    ip(['link', 'add', IF_S, 'netns', NS_S, 'type', 'veth', 'peer', 'name', IF_R, 'netns', NS_R]);
    // A second address on the sender's side: heartbeats must leave from the one they were asked to use.
    ip(['-n', NS_S, 'addr', 'add', `198.18.7.3/24`, 'dev', IF_S]);
    ip(['-n', NS_S, 'addr', 'add', `${SENDER_IP}/24`, 'dev', IF_S]);
    ip(['-n', NS_R, 'addr', 'add', `${RECEIVER_IP}/24`, 'dev', IF_R]);
    ip(['-n', NS_S, 'link', 'set', IF_S, 'up']);
    ip(['-n', NS_R, 'link', 'set', IF_R, 'up']);
    receiver = spawn('ip', ['netns', 'exec', NS_R, process.execPath, '-e', RECEIVER], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve) => {
      lines(receiver, (v) => {
        if (v.ready === true) resolve();
        else if (typeof v.text === 'string' && typeof v.atMs === 'number')
          arrivals.push({ atMs: v.atMs, from: String(v.from), slot: Number(v.text.split(' ')[1]) });
      });
    });
  });

  afterAll(() => {
    if (receiver.pid !== undefined) process.kill(receiver.pid);
    for (const ns of [NS_S, NS_R]) spawnSync('ip', ['netns', 'del', ns]);
  });

  interface Run {
    code: number | null;
    moments: Map<string, Record<string, unknown>>;
    blockStart: number;
    blockEnd: number;
    stopped: number;
    arrivals: Arrival[];
  }

  /** Runs the sender with this plan; resolves with its moments once it exited, and the arrivals in between. */
  async function runSender(plan: {
    intervalMs: number;
    aheadSlots: number;
    runMs: number;
    blockMs: number;
  }): Promise<Run> {
    const first = arrivals.length;
    const full = { ...plan, source: SENDER_IP, to: { address: RECEIVER_IP, port: PORT } };
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        NS_S,
        process.execPath,
        '--conditions=ironlb-source',
        '--import',
        'tsx',
        'speaker/src/membership/testing/stall-agent.ts',
        JSON.stringify(full),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const moments = new Map<string, Record<string, unknown>>();
    lines(child, (v) => moments.set(String(v.event), v));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Anything still in flight after stop() would arrive within a few ms on a veth; wait well past that.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const at = (event: string): number => {
      const m = moments.get(event);
      if (typeof m?.atMs !== 'number')
        throw new Error(`sender never reported ${event}: ${JSON.stringify([...moments])}`);
      return m.atMs;
    };
    return {
      code,
      moments,
      blockStart: at('block-start'),
      blockEnd: at('block-end'),
      stopped: at('stopped'),
      arrivals: arrivals.slice(first),
    };
  }

  it('keeps sending one pre-signed heartbeat per slot, from the node address, while JS is blocked for 1 s', async () => {
    const intervalMs = 50;
    // Stall tolerance 1.5 s: a 1 s block is covered.
    const r = await runSender({ intervalMs, aheadSlots: 30, runMs: 400, blockMs: 1000 });
    expect(r.code).toBe(0);
    expect(r.moments.has('send-failed')).toBe(false);
    expect(r.moments.has('bind-failed')).toBe(false);
    expect(r.arrivals.length).toBeGreaterThan(0);
    expect(new Set(r.arrivals.map((a) => a.from))).toEqual(new Set([SENDER_IP]));
    // Each slot once, in increasing order.
    const slots = r.arrivals.map((a) => a.slot);
    expect(slots).toEqual([...slots].sort((a, b) => a - b));
    expect(new Set(slots).size).toBe(slots.length);
    const during = r.arrivals.filter((a) => a.atMs > r.blockStart && a.atMs < r.blockEnd);
    // 20 slots fit in the block; a loaded 2-core machine may delay the thread, not silence it.
    expect(during.length).toBeGreaterThanOrEqual(14);
    expect(during[0]!.atMs - r.blockStart).toBeLessThan(4 * intervalMs);
    expect(r.blockEnd - during.at(-1)!.atMs).toBeLessThan(4 * intervalMs);
    const gaps = during.slice(1).map((a, i) => a.atMs - during[i]!.atMs);
    expect(Math.max(...gaps)).toBeLessThan(5 * intervalMs);
    expect(r.arrivals.filter((a) => a.atMs > r.stopped)).toEqual([]);
  }, 60_000);

  it('goes silent once the slots signed ahead are used up when JS stays blocked past the stall tolerance', async () => {
    const intervalMs = 50;
    const aheadSlots = 6; // stall tolerance 300 ms
    const r = await runSender({ intervalMs, aheadSlots, runMs: 400, blockMs: 1500 });
    expect(r.code).toBe(0);
    const signedUpTo = Number(r.moments.get('block-start')?.signedUpTo);
    const during = r.arrivals.filter((a) => a.atMs > r.blockStart && a.atMs < r.blockEnd);
    // Covered at first: the slots signed before the block still go out...
    expect(during.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...during.map((a) => a.slot))).toBeLessThanOrEqual(signedUpTo);
    // ...then silence: nothing after the last signed slot's end (plus scheduling slack) until JS runs again.
    const silentFrom = r.blockStart + (aheadSlots + 1) * intervalMs + 150;
    expect(r.blockEnd - silentFrom).toBeGreaterThan(800);
    expect(during.filter((a) => a.atMs > silentFrom)).toEqual([]);
    // Heartbeats resume once the main thread signs again, and stop with stop().
    expect(r.arrivals.filter((a) => a.atMs > r.blockEnd && a.atMs < r.stopped).length).toBeGreaterThan(0);
    expect(r.arrivals.filter((a) => a.atMs > r.stopped)).toEqual([]);
  }, 60_000);
});
