/**
 * Vitest global setup of the e2e-real project: the real-node lab (IRONLB_LAB_MODE=real) with ironlb installed by
 * Helm. Both steps are idempotent (`labUp` reuses what runs, `installIronlb` keeps an installed release with the
 * current image), so `pnpm test:e2e-real` (test/e2e-real/run.sh) normally finds everything up already.
 *
 * Never the shared lab: it refuses the default lab directory, which other engineers' stand-in e2e runs use; run.sh
 * puts the lab in its own sandbox. No teardown here: run.sh brings the lab down (or keeps it with IRONLB_KEEP_LAB=1).
 */
import { resolve } from 'node:path';
import { labConfig } from '../lab/config.js';
import { labEnv, labUp } from '../lab/lab.js';
import { installIronlb } from '../lab/real/helm-install.js';

export default async function setup(): Promise<void> {
  const config = labConfig();
  if (config.mode !== 'real') {
    throw new Error(
      'e2e-real: needs IRONLB_LAB_MODE=real; run it with `pnpm test:e2e-real` (test/e2e-real/run.sh)',
    );
  }
  if (config.dir === resolve('/tmp/ironlb-lab')) {
    throw new Error(
      'e2e-real: refusing the shared lab directory /tmp/ironlb-lab; run it with `pnpm test:e2e-real`',
    );
  }
  const up = await labUp(config);
  Object.assign(process.env, labEnv(config));
  const out = (line: string): void => {
    process.stdout.write(`[e2e-real] ${line}\n`);
  };
  out(`lab up in ${up.durationMs} ms (started ${up.started.length}, reused ${up.alreadyRunning.length})`);
  const install = await installIronlb(config, {
    helm: process.env.IRONLB_HELM ?? 'helm',
    out,
    rolloutTimeoutSeconds: 600,
  });
  out(`ironlb ${install.installed ? 'installed' : 'already installed'} in ${install.durationMs} ms`);
  out(`kubectl get pods -n ironlb-system\n${install.pods.trimEnd()}`);
}
