import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that disturb every other user of the shared lab run last, in this order, after vitest's usual order
 * (slowest first from the last run's timings, else largest first): the API server restart (every watch and the
 * lab's controller-manager lose the API server for 20 s and need seconds to catch up) and the lab lifecycle
 * (takes the lab down and up). Whatever they leave behind can then only fail themselves, never the suites that
 * would have followed them.
 */
export const RUN_LAST = [
  'test/e2e/apiserver-restart.test.ts',
  'test/e2e/lab.test.ts',
  // e2e-real project (its own sandboxed lab): the API server outage disturbs every pod and lab component.
  'test/e2e-real/apiserver-outage.test.ts',
] as const;

export function lastRank(moduleId: string): number {
  return RUN_LAST.findIndex((suffix) => moduleId.endsWith(`/${suffix}`));
}

export class DisruptiveLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rest = sorted.filter((f) => lastRank(f.moduleId) < 0);
    const last = sorted
      .filter((f) => lastRank(f.moduleId) >= 0)
      .sort((a, b) => lastRank(a.moduleId) - lastRank(b.moduleId));
    return [...rest, ...last];
  }
}
