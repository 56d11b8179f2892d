/**
 * Test helper, not part of the package build: runs inside a network namespace (spawned through
 * `ip netns exec <ns> node --import tsx netns-agent.ts <interface>`) and drives packet sockets on behalf of
 * packet-socket.netns.test.ts. Protocol: one JSON command per stdin line, one JSON reply or event per stdout line.
 * Frames travel as hex strings.
 */
import { createInterface } from 'node:readline';
import { ReopeningPacketSocket } from '../reopening-packet-socket.js';
import { interfaceInfo, openPacketSocket, type PacketKind, type PacketSocket } from '../packet-socket.js';

export type AgentRequest =
  | { op: 'info' }
  | { op: 'open'; kind: PacketKind; receiveBufferBytes?: number }
  | { op: 'buffer'; kind: PacketKind }
  | { op: 'send' | 'join' | 'leave'; kind: PacketKind; hex: string }
  | { op: 'reopening'; kind: PacketKind }
  | { op: 'reopening-send'; hex: string };

export type AgentCommand = AgentRequest & { id: number };

export type AgentEvent =
  | { ev: 'frames'; kind: string; frames: string[] }
  | { ev: 'error' | 'down'; kind: string; code: string }
  | { ev: 'open'; kind: string };

export type AgentMessage = { id: number; result: unknown } | AgentEvent;

const name = process.argv[2] ?? '';
const sockets = new Map<string, PacketSocket>();
let reopening: ReopeningPacketSocket | null = null;
const abort = new AbortController();

function emit(message: AgentMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const hexOf = (frames: Buffer[]): string[] => frames.map((f) => f.toString('hex'));

function open(kind: PacketKind, receiveBufferBytes: number | undefined): unknown {
  const result = openPacketSocket({
    interface: name,
    kind,
    receiveBufferBytes,
    onFrames: (frames) => {
      emit({ ev: 'frames', kind, frames: hexOf(frames) });
    },
    onError: (e) => {
      emit({ ev: 'error', kind, code: e.code });
    },
  });
  if (result.ok) sockets.set(kind, result.value);
  return result.ok ? 'ok' : result.error;
}

function startReopening(kind: PacketKind): unknown {
  const label = `${kind}-reopening`;
  reopening = new ReopeningPacketSocket({
    interface: name,
    kind,
    initialBackoffMs: 50,
    maxBackoffMs: 200,
    onFrames: (frames) => {
      emit({ ev: 'frames', kind: label, frames: hexOf(frames) });
    },
    onOpen: () => {
      emit({ ev: 'open', kind: label });
    },
    onDown: (e) => {
      emit({ ev: 'down', kind: label, code: e.code });
    },
  });
  reopening.start(abort.signal);
  return 'ok';
}

function withSocket(cmd: { op: 'send' | 'join' | 'leave'; kind: PacketKind; hex: string }): unknown {
  const socket = sockets.get(cmd.kind);
  if (socket === undefined) return 'not open';
  const bytes = Buffer.from(cmd.hex, 'hex');
  if (cmd.op === 'send') return socket.send(bytes);
  return cmd.op === 'join' ? socket.addMembership(bytes) : socket.dropMembership(bytes);
}

function run(cmd: AgentCommand): unknown {
  switch (cmd.op) {
    case 'info': {
      const info = interfaceInfo(name);
      return info.ok ? { ...info.value, mac: Buffer.from(info.value.mac).toString('hex') } : info.error;
    }
    case 'open':
      return open(cmd.kind, cmd.receiveBufferBytes);
    case 'buffer':
      return sockets.get(cmd.kind)?.receiveBuffer ?? 'not open';
    case 'send':
    case 'join':
    case 'leave':
      return withSocket(cmd);
    case 'reopening':
      return startReopening(cmd.kind);
    case 'reopening-send':
      return reopening?.send(Buffer.from(cmd.hex, 'hex')) ?? 'not open';
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const cmd = JSON.parse(line) as AgentCommand;
  emit({ id: cmd.id, result: run(cmd) });
});
lines.on('close', () => {
  abort.abort();
  for (const s of sockets.values()) s.close();
});
