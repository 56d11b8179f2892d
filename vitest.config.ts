import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['ironlb-source'] },
  ssr: { resolve: { conditions: ['ironlb-source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            '{shared,controller,speaker,packet-socket,cli}/src/**/*.test.ts',
            'test/lab/**/*.test.ts',
          ],
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
    ],
  },
});
