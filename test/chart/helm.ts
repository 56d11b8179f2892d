import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** charts/ironlb, rendered by the chart tests with the real helm. */
export const CHART_DIR = fileURLToPath(new URL('../../charts/ironlb', import.meta.url));

/** IRONLB_HELM (set by scripts/toolchain.sh), else helm on PATH, else undefined: the suites skip with a message. */
export const HELM: string | undefined =
  process.env.IRONLB_HELM ??
  (spawnSync('helm', ['version'], { stdio: 'ignore' }).status === 0 ? 'helm' : undefined);

/** Warns once per suite that it is skipped for want of helm. */
export function warnIfNoHelm(suite: string): void {
  if (HELM === undefined)
    console.warn(
      `${suite} skipped: IRONLB_HELM is unset and helm is not on PATH (scripts/toolchain.sh sets it)`,
    );
}

const run = promisify(execFile);

/** Runs helm and returns its stdout (rejects with its stderr on failure). */
export async function helm(args: readonly string[]): Promise<string> {
  const { stdout } = await run(HELM ?? 'helm', [...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** `helm template ironlb charts/ironlb -n ironlb-system <args>`: the rendered manifests. */
export function helmTemplate(args: readonly string[] = []): Promise<string> {
  return helm(['template', 'ironlb', CHART_DIR, '-n', 'ironlb-system', ...args]);
}
