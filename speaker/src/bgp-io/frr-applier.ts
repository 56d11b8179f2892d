import { access, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Result, err, ok } from '@ironlb/shared';
import type { Logger } from 'pino';
import { frrChange, renderFrrConfig, type FrrPlan } from '../bgp/index.js';
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

/**
 * `incremental`: only prefixes changed, applied with one vtysh session; `reloaded` / `merged`: the whole file
 * (frr-reload.py / `vtysh -f`).
 */
export type ApplyOutcome = 'unchanged' | 'incremental' | 'reloaded' | 'merged';

export interface FrrApplierOptions {
  target: FrrTarget;
  run: CommandRunner;
  metrics: Pick<BgpMetrics, 'reloads' | 'reloadFailures' | 'incrementalApplies' | 'incrementalApplyFailures'>;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Bound of one command (frr-reload.py reads the running configuration and diffs it: seconds). */
  timeoutMs?: number;
  /**
   * A full reload at the first apply at least this long after the last one, even when nothing changed, so a
   * change made to FRR behind the speaker's back (or an incremental apply that did not do what it said) is
   * repaired. Default 5 minutes.
   */
  reconcileIntervalMs?: number;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
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
 *   it is written before FRR is changed, so it is always the newest plan and a restarted FRR loads it;
 * - FRR is touched only when the text differs from the last text applied successfully, or when a reconcile is
 *   due; after a failure the same text is applied again on the next call, with a full reload;
 * - when only prefixes changed since the last successful apply (`frrChange`), one vtysh session applies them;
 *   a session that exits non-zero or prints an error (`% …`) is followed at once by a full reload of the same
 *   file, so the outcome never depends on how far the session got;
 * - with frr-reload.py the running configuration becomes the file (lines no longer rendered are removed);
 *   without it, `vtysh -f` merges the file into the running configuration (nothing is removed: the outcome
 *   says `merged`, and a restart of FRR, which reads frr.conf, completes the change).
 * Calls must not overlap (the caller serialises them).
 */
export class FrrApplier {
  /** Text and plan FRR runs (undefined: unknown, the next apply is a full reload). */
  private applied: { text: string; plan: FrrPlan } | undefined;
  private lastFull: number | undefined;

  constructor(private readonly options: FrrApplierOptions) {}

  get configPath(): string {
    return join(this.options.target.configDir, 'frr.conf');
  }

  async apply(plan: FrrPlan): Promise<Result<ApplyOutcome>> {
    const { metrics, logger } = this.options;
    const text = renderFrrConfig(plan);
    const now = (this.options.now ?? (() => performance.now()))();
    const reconcile =
      this.lastFull === undefined ||
      now - this.lastFull >= (this.options.reconcileIntervalMs ?? RECONCILE_INTERVAL_MS);
    if (text === this.applied?.text && !reconcile) return ok('unchanged');
    const written = await this.write(text);
    if (!written.ok) {
      metrics.reloadFailures.inc();
      return written;
    }
    if (!reconcile && (await this.incremental(plan))) {
      this.applied = { text, plan };
      return ok('incremental');
    }
    this.applied = undefined;
    const outcome = await this.load();
    if (!outcome.ok) {
      metrics.reloadFailures.inc();
      logger.warn({ error: outcome.error }, 'applying frr.conf failed; retrying on the next plan');
      return outcome;
    }
    this.applied = { text, plan };
    this.lastFull = now;
    metrics.reloads.inc();
    logger.info({ how: outcome.value, path: this.configPath }, 'FRR configuration applied');
    return outcome;
  }

  /** Applies a prefix-only change with one vtysh session; false: not such a change, or the session failed. */
  private async incremental(plan: FrrPlan): Promise<boolean> {
    const { metrics, logger, target } = this.options;
    const change = frrChange(this.applied?.plan, plan);
    if (change.kind === 'structural') {
      logger.debug({ reason: change.reason }, 'frr.conf changed beyond prefixes: full reload');
      return false;
    }
    if (change.kind === 'unchanged') return true;
    const r = await this.run([...vtyshArgv(target), ...change.commands.flatMap((c) => ['-c', c])]);
    const problem = r.ok ? vtyshErrors(r.value) : r.error;
    if (problem !== undefined) {
      metrics.incrementalApplyFailures.inc();
      logger.warn({ error: problem }, 'incremental FRR change failed; reloading the whole frr.conf');
      return false;
    }
    metrics.incrementalApplies.inc();
    const { added, removed, changed } = change;
    logger.info({ added, removed, changed, commands: change.commands.length }, 'FRR prefixes changed');
    return true;
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
const RECONCILE_INTERVAL_MS = 5 * 60_000;

/** vtysh prints `% …` for a command it or a daemon refused; undefined when there is none. */
export function vtyshErrors(stdout: string): string | undefined {
  const lines = stdout.split('\n').filter((l) => l.trimStart().startsWith('%'));
  return lines.length > 0 ? redact(lines.join(' | ')).slice(0, 2000) : undefined;
}

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
