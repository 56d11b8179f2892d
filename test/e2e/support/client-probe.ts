import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const AGENT = fileURLToPath(new URL('./probe-agent.ts', import.meta.url));

export interface ProbeSample {
  /** Epoch ms when the attempt started. */
  t: number;
  /** The TCP handshake completed. */
  connected: boolean;
  /** Name of the node whose responder answered, or null when the exchange failed. */
  node: string | null;
}

export interface ClientProbe {
  samples: ProbeSample[];
  stop(): Promise<ProbeSample[]>;
}

/** From the client namespace, opens a new HTTP connection to ip:80 every `intervalMs`. */
export function startClientProbe(options: {
  netns: string;
  ip: string;
  intervalMs: number;
  timeoutMs?: number;
}): ClientProbe {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      options.netns,
      process.execPath,
      AGENT,
      options.ip,
      String(options.intervalMs),
      '600000',
      String(options.timeoutMs ?? 200),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const samples: ProbeSample[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    samples.push(JSON.parse(line) as ProbeSample);
  });
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      resolve();
    }),
  );
  return {
    samples,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      return samples;
    },
  };
}

/** ms from `since` until the first successful answer that satisfies `accept`, or null. */
export function recoveredAfter(args: {
  samples: readonly ProbeSample[];
  since: number;
  accept: (node: string) => boolean;
}): number | null {
  // Attempts complete out of order: take the earliest start among the accepted ones.
  const hits = args.samples.filter((s) => s.t >= args.since && s.node !== null && args.accept(s.node));
  if (hits.length === 0) return null;
  return Math.min(...hits.map((s) => s.t)) - args.since;
}

/**
 * Attempts started in [from, to) that failed: by default any attempt without an answer; with
 * `connectOnly`, only attempts whose TCP handshake did not complete.
 */
export function failures(args: {
  samples: readonly ProbeSample[];
  from: number;
  to: number;
  connectOnly?: boolean;
}): ProbeSample[] {
  return args.samples.filter(
    (s) => s.t >= args.from && s.t < args.to && (args.connectOnly ? !s.connected : s.node === null),
  );
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
