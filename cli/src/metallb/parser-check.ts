import type { Result } from '@ironlb/shared';
import { fail, type Findings } from './diagnostics.js';

/**
 * Runs the ironlb parser of the output kind over a translated object, so the importer refuses what the API
 * server would refuse, with the same words (shared/src/config). Each parser message becomes an error on `f`
 * (once, however many parts of a split object repeat it).
 */
export function checkWithParser(
  f: Findings,
  o: { object: unknown; parse: (obj: unknown) => Result<unknown, string[]> },
): void {
  const parsed = o.parse(o.object);
  if (parsed.ok) return;
  for (const error of parsed.error) {
    const message = `ironlb would refuse it: ${error}`;
    // Parts of a split object share their fields: one finding per problem.
    if (!f.list.some((d) => d.message === message)) fail(f, message);
  }
}
