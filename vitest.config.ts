import { defineConfig } from 'vitest/config';
import { DisruptiveLastSequencer } from './test/e2e/sequencer.js';

/**
 * Four projects, all run by `pnpm test`:
 * - unit: pure and shell tests beside their code (`x.test.ts`), the lab's own helpers, the chart; no root needed.
 * - netns: tests that create network namespaces and links (`x.netns.test.ts`); need root and iproute2.
 * - e2e: end-to-end tests against the lab (global setup brings it up); need root.
 * - e2e-real: ironlb installed with Helm on the real-node lab; `pnpm test` runs it last through
 *   `pnpm test:e2e-real` (test/e2e-real/run.sh), which gives it its own sandboxed lab.
 */
export default defineConfig({
  resolve: { conditions: ['ironlb-source'] },
  ssr: { resolve: { conditions: ['ironlb-source'] } },
  test: {
    // Suites that disturb the shared lab run last (test/e2e/sequencer.ts).
    sequence: { sequencer: DisruptiveLastSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            '{shared,controller,speaker,packet-socket,cli}/src/**/*.test.ts',
            'test/lab/**/*.test.ts',
            'test/chart/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', '**/*.netns.test.ts'],
          // CI shares 2 cores with builds and a lab: waits bounded by outcomes, not by the 5 s default.
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'netns',
          include: ['{shared,controller,speaker,packet-socket,cli}/src/**/*.netns.test.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e-real',
          include: ['test/e2e-real/**/*.test.ts'],
          globalSetup: ['test/e2e-real/global-setup.ts'],
          fileParallelism: false,
          // Real pods on a loaded 2-core machine: Node needs tens of seconds to start in a pod.
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
