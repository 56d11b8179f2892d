/**
 * Vitest global setup for the e2e project: brings the lab up once (reusing whatever already runs: `labUp` is
 * idempotent), exports KUBECONFIG / LAB_NODES / LAB_CLIENT_NETNS / IRONLB_LAB_DIR to the test workers and provides the
 * same values as `inject('lab')`.
 *
 * Teardown runs `lab down` (every recorded process, namespace and link is removed, so CI leaves nothing behind)
 * unless IRONLB_KEEP_LAB=1, which keeps the lab for fast local re-runs and debugging, or another e2e run on this
 * machine still uses the lab (runs register in `<lab>/users`; the last one out brings it down).
 */
import type { TestProject } from 'vitest/node';
import { labConfig, labPaths } from '../lab/config.js';
import { labDown, labEnv, labUp } from '../lab/lab.js';
import { listRecords, stopRecorded } from '../lab/processes.js';
import { registerLabUser, releaseLabUser } from '../lab/sharing.js';

export interface LabContext {
  readonly KUBECONFIG: string;
  readonly LAB_NODES: string;
  readonly LAB_CLIENT_NETNS: string;
  readonly IRONLB_LAB_DIR: string;
  /** How long `lab up` took in the global setup, in ms. */
  readonly upMs: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabContext;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = labConfig();
  registerLabUser(config);
  const report = await labUp(config);
  // A demo install (`make demo`) announces every pool on the lab: the tests need the LAN to themselves.
  const pids = labPaths(config).pids;
  for (const record of listRecords(pids).filter((r) => r.name.startsWith('ironlb-'))) {
    await stopRecorded({ pidDir: pids, name: record.name });
    process.stdout.write(`[lab] stopped ${record.name} (left by the demo) so the tests own the LAN\n`);
  }
  const env = labEnv(config);
  Object.assign(process.env, env);
  process.stdout.write(
    `[lab] up in ${report.durationMs} ms (started ${report.started.length}, reused ${report.alreadyRunning.length})\n`,
  );
  project.provide('lab', {
    KUBECONFIG: env.KUBECONFIG ?? '',
    LAB_NODES: env.LAB_NODES ?? '',
    LAB_CLIENT_NETNS: env.LAB_CLIENT_NETNS ?? '',
    IRONLB_LAB_DIR: env.IRONLB_LAB_DIR ?? '',
    upMs: report.durationMs,
  });
  return async () => {
    const others = releaseLabUser(config);
    if (others.length > 0) {
      const pids = others.map((o) => o.pid).join(', ');
      process.stdout.write(`[lab] still used by other runs (pids ${pids}): leaving it up for them\n`);
      return;
    }
    if (process.env.IRONLB_KEEP_LAB === '1') {
      process.stdout.write('[lab] IRONLB_KEEP_LAB=1: leaving the lab running (pnpm lab down removes it)\n');
      return;
    }
    const down = await labDown(config);
    if (down.leftovers.length > 0) throw new Error(`lab down left behind: ${down.leftovers.join(', ')}`);
    process.stdout.write('[lab] down: nothing left behind\n');
  };
}
