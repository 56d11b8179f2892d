/**
 * Test helper: one netns-agent.ts process inside a network namespace, driven over stdin/stdout (see there).
 * `wrap` is a command put between `ip netns exec <ns>` and node, e.g. setpriv dropping capabilities; it must
 * exec node in place so that the child's PID is node's.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decodeArp, type ArpPacket } from '../../../speaker/src/packet/index.js';
import type { AgentEvent, AgentMessage, AgentRequest } from './netns-agent.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export async function until<T>(
  what: string,
  probe: () => T | null | undefined,
  timeoutMs = 3000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class Agent {
  readonly frames: { kind: string; frame: Uint8Array }[] = [];
  readonly events: AgentEvent[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #replies = new Map<number, unknown>();
  #next = 1;

  constructor(ns: string, iface: string, options: { wrap?: readonly string[]; node?: string } = {}) {
    const script = 'packet-socket/src/testing/netns-agent.ts';
    const node = options.node ?? process.execPath;
    const args = [
      'netns',
      'exec',
      ns,
      ...(options.wrap ?? []),
      node,
      '--conditions=ironlb-source',
      '--import',
      'tsx',
      script,
      iface,
    ];
    this.#child = spawn('ip', args, { cwd: root });
    this.exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stderr.on('data', (d: Buffer) => process.stderr.write(`[agent ${ns}] ${d.toString()}`));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const m = JSON.parse(line) as AgentMessage;
      if ('id' in m) this.#replies.set(m.id, m.result);
      else if (m.ev === 'frames')
        for (const f of m.frames) this.frames.push({ kind: m.kind, frame: Buffer.from(f, 'hex') });
      else this.events.push(m);
    });
  }

  /** The agent's PID (`ip netns exec` and the wrapper exec in place, so this is node's). */
  get pid(): number {
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error('agent not started');
    return pid;
  }

  async call(cmd: AgentRequest, timeoutMs = 15_000): Promise<unknown> {
    const id = this.#next++;
    this.#child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return until(
      `reply ${id}`,
      () => (this.#replies.has(id) ? { v: this.#replies.get(id) } : null),
      timeoutMs,
    ).then((r) => r.v);
  }

  arp(match: (p: ArpPacket) => boolean, kind = 'arp'): Promise<ArpPacket> {
    return until('ARP frame', () =>
      this.frames
        .filter((f) => f.kind === kind)
        .map((f) => decodeArp(f.frame))
        .find((p) => p !== null && match(p)),
    );
  }

  stop(): void {
    this.#child.kill(); // the node process itself: `ip netns exec` execs it in place
  }
}
