/**
 * Test helper, not part of the build: runs in a network namespace (`ip netns exec <ns> node --import tsx
 * stall-agent.ts <json>`) for heartbeat-sender.netns.test.ts. Starts a HeartbeatSender whose slot s carries
 * `hb <s>`, lets it run, then blocks its own JS main thread in a busy loop, then runs again and stops.
 * Prints one JSON line per moment with the monotonic time (the clock both threads and the receiver share).
 */
import { HeartbeatSender, monotonicMs } from '../heartbeat-sender.js';

interface Plan {
  intervalMs: number;
  aheadSlots: number;
  source: string;
  to: { address: string; port: number };
  runMs: number;
  blockMs: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const say = (event: string, extra: object = {}): void => {
  // stdout is a pipe: synchronous on Linux, so the line is out before the busy loop starts.
  process.stdout.write(`${JSON.stringify({ event, atMs: monotonicMs(), ...extra })}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const sender = new HeartbeatSender({
  intervalMs: plan.intervalMs,
  aheadSlots: plan.aheadSlots,
  sign: (slot) => Buffer.from(`hb ${slot}`),
  onBindFailed: (address, error) => {
    say('bind-failed', { address, error });
  },
  onSendFailed: (count, code) => {
    say('send-failed', { count, code });
  },
});
const started = sender.start([{ name: 'receiver', ...plan.to }], plan.source);
if (!started.ok) {
  say('start-failed', { error: started.error });
  process.exit(1);
}
say('started');
await sleep(plan.runMs);
say('block-start', { signedUpTo: sender.finalSequence() - 1 });
const until = monotonicMs() + plan.blockMs;
while (monotonicMs() < until) {
  // Busy: no timer, no I/O callback runs on this thread.
}
say('block-end');
await sleep(plan.runMs);
await sender.stop();
say('stopped');
