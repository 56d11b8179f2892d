/**
 * Runs every clean-up step in order even when earlier ones fail, then throws one error naming each failed step
 * (an afterAll that stops at its first failure leaves the rest of the shared lab dirty for the suites after it).
 */
export async function runCleanup(steps: readonly (readonly [string, () => unknown])[]): Promise<void> {
  const failed: string[] = [];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      failed.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failed.length > 0) throw new Error(`clean-up failed (${failed.length}):\n${failed.join('\n')}`);
}
