import { access, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Result, err, ok } from '@ironlb/shared';
import type { Logger } from 'pino';
import type { BgpMetrics } from './bgp-metrics.js';
import type { CommandRunner } from './command-runner.js';

/** Where the node's FRR is and how to reach it. */
export interface FrrTarget {
  /** FRR path space (`-N`, sockets in /var/run/frr/<name>); undefined = the default instance. */
  instance: string | undefined;
  /** Directory of the instance's frr.conf (the speaker owns the file). */
  configDir: string;
  /** frr-reload.py (package frr-pythontools); when missing, `vtysh -f` applies the file instead. */
  reloadScript: string;
  /** Directory holding vtysh. */
  bindir: string;
}

export const DEFAULT_FRR_TARGET: Omit<FrrTarget, 'instance' | 'configDir'> = {
  reloadScript: '/usr/lib/frr/frr-reload.py',
  bindir: '/usr/bin',
};

export type ApplyOutcome = 'unchanged' | 'reloaded' | 'merged';

export interface FrrApplierOptions {
  target: FrrTarget;
  run: CommandRunner;
  metrics: Pick<BgpMetrics, 'reloads' | 'reloadFailures'>;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Bound of one reload (frr-reload.py reads the running configuration and diffs it: seconds). */
  timeoutMs?: number;
}

/** vtysh argv prefix for the target instance. */
export function vtyshArgv(target: FrrTarget): string[] {
  return [join(target.bindir, 'vtysh'), ...(target.instance === undefined ? [] : ['-N', target.instance])];
}

/** Command output may echo configuration lines: never log a password. */
export function redact(text: string): string {
  return text.replace(/(password\s+)\S+/g, '$1<redacted>');
}

/**
 * Keeps FRR's configuration equal to the last rendered frr.conf.
 *
 * Invariants:
 * - frr.conf is replaced atomically (written beside it, then renamed): FRR, a restarted sidecar or a person
 *   reading it never sees half a file; it is readable by its owner only (mode 0600: it holds BGP passwords);
 * - FRR is touched only when the text differs from the last text applied successfully; after a failure the
 *   same text is applied again on the next call;
 * - with frr-reload.py the running configuration becomes the file (lines no longer rendered are removed);
 *   without it, `vtysh -f` merges the file into the running configuration (nothing is removed: the outcome
 *   says `merged`, and a restart of FRR, which reads frr.conf, completes the change).
 * Calls must not overlap (the caller serialises them).
 */
export class FrrApplier {
  private applied: string | undefined;

  constructor(private readonly options: FrrApplierOptions) {}

  get configPath(): string {
    return join(this.options.target.configDir, 'frr.conf');
  }

  async apply(text: string): Promise<Result<ApplyOutcome>> {
    if (text === this.applied) return ok('unchanged');
    const { metrics, logger } = this.options;
    const written = await this.write(text);
    if (!written.ok) {
      metrics.reloadFailures.inc();
      return written;
    }
    const outcome = await this.load();
    if (!outcome.ok) {
      metrics.reloadFailures.inc();
      logger.warn({ error: outcome.error }, 'applying frr.conf failed; retrying on the next plan');
      return outcome;
    }
    this.applied = text;
    metrics.reloads.inc();
    logger.info({ how: outcome.value, path: this.configPath }, 'FRR configuration applied');
    return outcome;
  }

  private async write(text: string): Promise<Result<void>> {
    const tmp = join(this.options.target.configDir, '.frr.conf.ironlb-tmp');
    try {
      // A new file each time (`wx`), so the mode is 0600 whatever a leftover had: frr.conf holds passwords.
      await rm(tmp, { force: true });
      await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
      await rename(tmp, this.configPath);
      return ok(undefined);
    } catch (e) {
      return err(`cannot write ${this.configPath}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async load(): Promise<Result<'reloaded' | 'merged'>> {
    const { target } = this.options;
    const haveReload = await access(target.reloadScript).then(
      () => true,
      () => false,
    );
    if (!haveReload) {
      const r = await this.run([...vtyshArgv(target), '-f', this.configPath]);
      return r.ok ? ok('merged') : err(`vtysh -f ${r.error}`);
    }
    // frr-reload.py applies deletions in one pass and some need a second one (e.g. `no bfd` while a neighbor
    // still refers to a profile): reload, then verify with --test, at most RELOAD_PASSES times.
    let pending: string[] = [];
    for (let pass = 0; pass < RELOAD_PASSES; pass++) {
      const r = await this.run(this.reloadArgv('--reload'));
      if (!r.ok) return err(`frr-reload.py ${r.error}`);
      const test = await this.run(this.reloadArgv('--test'));
      if (!test.ok) return err(`frr-reload.py --test ${test.error}`);
      pending = pendingLines(test.value);
      if (pending.length === 0) return ok('reloaded');
    }
    return err(
      `FRR still differs from frr.conf after ${RELOAD_PASSES} reloads: ${redact(pending.join(' | '))}`,
    );
  }

  private reloadArgv(mode: '--reload' | '--test'): string[] {
    const { target } = this.options;
    return [
      'python3',
      target.reloadScript,
      mode,
      '--stdout',
      '--bindir',
      target.bindir,
      ...(target.instance === undefined ? [] : ['--pathspace', target.instance]),
      this.configPath,
    ];
  }

  private async run(argv: string[]): Promise<Result<string>> {
    const r = await this.options.run(argv, { timeoutMs: this.options.timeoutMs ?? 60_000 });
    if (r.code === 0) return ok(r.stdout);
    const output = redact(`${r.stdout}\n${r.stderr}`.trim()).slice(-2000);
    return err(`exited with ${r.code ?? 'a signal or timeout'}: ${output}`);
  }
}

const RELOAD_PASSES = 3;

/**
 * The configuration lines `frr-reload.py --test` would still add or delete, without the hostname (FRR's own;
 * frr.conf does not set it) and the section titles.
 */
export function pendingLines(testOutput: string): string[] {
  const start = testOutput.indexOf('Lines To Delete');
  if (start < 0) return [];
  return testOutput
    .slice(start)
    .split('\n')
    .filter(
      (l) => l.trim() !== '' && !/^(=+|Lines To (Delete|Add))$/.test(l.trim()) && !/^(no )?hostname /.test(l),
    );
}
