import type { BgpSessionState } from '@ironlb/shared';
import type { Logger } from 'pino';
import { parseBgpSummary } from '../bgp/index.js';
import type { BgpMetrics } from './bgp-metrics.js';
import type { CommandRunner } from './command-runner.js';
import { type FrrTarget, vtyshArgv } from './frr-applier.js';

export interface SessionPollerOptions {
  target: FrrTarget;
  run: CommandRunner;
  intervalMs: number;
  metrics: Pick<BgpMetrics, 'sessionsUp'>;
  logger: Pick<Logger, 'debug' | 'warn'>;
  /** Every successful poll: address (canonical) → state. */
  onSessions: (states: ReadonlyMap<string, BgpSessionState>) => void;
}

/**
 * Reads FRR's session states (`show bgp summary json`) every `intervalMs` and publishes them.
 *
 * Invariants: polls never overlap (the next one is armed when the last one ended); a failed poll (FRR not up
 * yet, a timeout) changes nothing: the gauge and the last states stay until FRR answers again.
 */
export class SessionPoller {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;

  constructor(private readonly options: SessionPollerOptions) {}

  start(signal: AbortSignal): void {
    this.stopped = false;
    signal.addEventListener('abort', () => {
      this.stop();
    });
    this.arm(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One poll now (also used by tests); resolves with what FRR said, null when it said nothing usable. */
  async pollOnce(): Promise<ReadonlyMap<string, BgpSessionState> | null> {
    const { target, run, metrics, logger, onSessions, intervalMs } = this.options;
    const r = await run([...vtyshArgv(target), '-c', 'show bgp summary json'], {
      timeoutMs: Math.max(intervalMs, 5000),
    });
    const states = r.code === 0 ? parseBgpSummary(r.stdout) : null;
    if (states === null) {
      logger.debug({ code: r.code, stderr: r.stderr.slice(0, 500) }, 'no BGP session states from FRR');
      return null;
    }
    metrics.sessionsUp.set([...states.values()].filter((s) => s === 'Established').length);
    onSessions(states);
    return states;
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.pollOnce().finally(() => {
        this.arm(this.options.intervalMs);
      });
    }, ms);
    this.timer.unref();
  }
}
