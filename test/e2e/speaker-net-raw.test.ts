/**
 * The speaker with the chart's privileges: UID 0 with every capability dropped except CAP_NET_RAW (bounding set
 * included) and no_new_privs, started under setpriv in the lab's node namespaces. It must hear its peers (UDP
 * heartbeats), serve /metrics, answer ARP for its IP and report the receive buffer the kernel gave it without
 * CAP_NET_ADMIN (capped at 2 × net.core.rmem_max). The controller does not run here: the test writes the status.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLbService,
  httpGetFromClient,
  labNode,
  netnsExec,
  setIngress,
  waitFor,
} from './support/index.js';
import { speakerEnvironment, type SpeakerEnvironment } from './support/speaker-env.js';
import { NET_RAW_ONLY } from './support/speakers.js';

const POOL = 'e2e-speaker-net-raw';
/** Own class, ports and range: speakers of suites running beside this one neither announce ours nor hear ours. */
const CLASS = 'ironlb.io/e2e-speaker-net-raw';
const PORTS = { metrics: 27877, membership: 28349 };
const IP = '203.0.113.85';
const CAP_NET_RAW = 13;
/** What the speaker asks for (speaker/src/l2/receive-buffer.ts). */
const REQUESTED = 4 * 1024 * 1024;
let env: SpeakerEnvironment;
/** Log files are appended to across runs: only lines written after this are ours. */
let startedAt: string;

beforeAll(async () => {
  startedAt = new Date().toISOString();
  env = await speakerEnvironment({
    name: POOL,
    addresses: ['203.0.113.84/30'],
    speakerArgs: ['--load-balancer-class', CLASS],
    ports: PORTS,
    wrap: NET_RAW_ONLY,
  });
}, 120_000);

afterAll(async () => {
  await env.cleanup();
});

function status(pid: number): Map<string, string> {
  return new Map(
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .map((l) => l.split(':\t') as [string, string]),
  );
}

async function metrics(node: string): Promise<string> {
  return (await netnsExec(node, ['curl', '-s', `http://127.0.0.1:${PORTS.metrics}/metrics`])).stdout;
}

describe('speaker with CAP_NET_RAW only (as the chart runs it)', () => {
  it('every speaker runs as UID 0 holding NET_RAW alone, and hears the other two', async () => {
    for (const node of env.nodes) {
      const pid = env.speakers.pid(node);
      if (pid === undefined) throw new Error(`no speaker on ${node}`);
      const s = status(pid);
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('speaker/dist/main.js');
      expect(s.get('Uid')?.split('\t')[1]).toBe('0');
      for (const set of ['CapEff', 'CapPrm', 'CapBnd'])
        expect(BigInt(`0x${s.get(set) ?? ''}`)).toBe(1n << BigInt(CAP_NET_RAW));
      expect(s.get('NoNewPrivs')).toBe('1');
      await waitFor(async () => /^ironlb_speaker_members_alive 3$/m.test(await metrics(node)), {
        what: `${node} hearing all three speakers`,
      });
    }
  });

  it('answers ARP for its IP, and reports the capped receive buffer in a log line and a metric', async () => {
    await createLbService({ namespace: env.ns.name, name: 'net-raw', loadBalancerClass: CLASS });
    await setIngress({ namespace: env.ns.name, name: 'net-raw', ips: [IP] });
    const node = await env.announcer(IP);
    expect(await env.capture.whoAnswers(IP)).toEqual([labNode(node).mac.toLowerCase()]);
    const get = await httpGetFromClient({ ip: IP });
    expect(get.ok && get.body.trim()).toBe(node);

    const rmemMax = Number((await netnsExec(node, ['cat', '/proc/sys/net/core/rmem_max'])).stdout.trim());
    const expected = 2 * Math.min(REQUESTED, rmemMax);
    const gauge = await waitFor(
      async () =>
        /^ironlb_speaker_socket_rcvbuf_bytes\{interface="eth0"\} (\d+)$/m.exec(await metrics(node))?.[1],
      { what: 'ironlb_speaker_socket_rcvbuf_bytes on the announcing node' },
    );
    expect(Number(gauge)).toBe(expected);
    const log = readFileSync(env.speakers.processOf(node)?.log ?? '', 'utf8')
      .split('\n')
      .filter((l) => l.includes('"receiveBufferBytes"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => typeof l.time === 'string' && l.time >= startedAt);
    expect(log.map((l) => [l.socket, l.receiveBufferBytes, l.forced])).toEqual([
      ['arp', expected, false],
      ['ndp', expected, false],
    ]);
    // Short only when rmem_max is below the request: then the line is a warning naming the sysctl.
    for (const l of log) {
      if (rmemMax < REQUESTED) {
        expect(l.level).toBe('warn');
        expect(l.msg).toContain('net.core.rmem_max');
      } else expect(l.level).toBe('info');
    }
  });
});
