import { parseArgs } from 'node:util';
import { type Result, err, ok } from '@ironlb/shared';
import type { LogLevel } from '@ironlb/shared/log';

/** Everything the controller is configured with; built only in main.ts (flags + env). */
export interface ControllerOptions {
  readonly kubeconfig: string | undefined;
  /** undefined: only Services without spec.loadBalancerClass are handled. */
  readonly loadBalancerClass: string | undefined;
  readonly leaderElect: boolean;
  readonly leaseName: string;
  readonly leaseNamespace: string;
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly logLevel: LogLevel;
  readonly metricsHost: string;
  readonly metricsPort: number;
  /** Services reconciled in parallel; also the bound on concurrent status writes. */
  readonly workers: number;
  /** Only Services matching this label selector are seen (sharding, shared test clusters). */
  readonly serviceLabelSelector: string | undefined;
}

/** Values main.ts takes from the environment (flags win). */
export interface FlagEnv {
  readonly KUBECONFIG?: string | undefined;
  readonly POD_NAME?: string | undefined;
  readonly POD_NAMESPACE?: string | undefined;
  /** hostname + '_' + pid, used when POD_NAME is unset. */
  readonly fallbackIdentity: string;
}

export type FlagsOutcome = { kind: 'run'; options: ControllerOptions } | { kind: 'help'; text: string };

export const HELP = `Usage: node controller/dist/main.js [flags]

ironlb controller: allocates LoadBalancer IPs from IPPools and writes Service status.

Flags:
  --kubeconfig=PATH            kubeconfig file (default: $KUBECONFIG, else in-cluster config)
  --load-balancer-class=NAME   also handle Services with this spec.loadBalancerClass
                               (default: only Services without a class)
  --leader-elect               run Lease leader election (only the leader writes); without it this
                               process writes at once (run a single replica)
  --lease-name=NAME            Lease name (default ironlb-controller)
  --lease-namespace=NS         Lease namespace (default: $POD_NAMESPACE, else ironlb-system)
  --identity=ID                Lease holder identity (default: $POD_NAME, else hostname_pid)
  --lease-duration=DUR         how long others wait for an unrenewed Lease (default 15s)
  --renew-deadline=DUR         a leader that cannot renew for this long steps down (default 10s)
  --retry-period=DUR           pause between acquire/renew attempts (default 2s)
  --log-level=LEVEL            trace|debug|info|warn|error|fatal|silent (default info)
  --metrics-host=HOST          address of /healthz /readyz /metrics (default 0.0.0.0)
  --metrics-port=PORT          port of /healthz /readyz /metrics (default 7472)
  --workers=N                  parallel reconciles and status writes (default 8)
  --service-label-selector=SEL only watch Services matching this label selector (default: all);
                               pools and their status are still global, so use it only where
                               no other controller serves the same pools (tests, shards)
  --help                       print this text

Durations: a number with unit ms, s or m (e.g. 500ms, 3s).
`;

const LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** '500ms' | '3s' | '1.5m' | '2' (seconds) → milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000);
}

function intFlag(
  text: string | undefined,
  opts: { name: string; def: number; min: number; max: number },
): Result<number> {
  if (text === undefined) return ok(opts.def);
  const n = Number(text);
  if (!Number.isInteger(n) || n < opts.min || n > opts.max)
    return err(`--${opts.name}: '${text}' is not an integer in ${opts.min}..${opts.max}`);
  return ok(n);
}

function durationFlag(text: string | undefined, opts: { name: string; defMs: number }): Result<number> {
  if (text === undefined) return ok(opts.defMs);
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) return err(`--${opts.name}: '${text}' is not a duration like 500ms or 3s`);
  return ok(ms);
}

type Values = Record<string, string | boolean | undefined>;

function readArgs(argv: readonly string[]): Result<Values> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean' },
        'leader-elect': { type: 'boolean' },
        ...Object.fromEntries(
          [
            'kubeconfig',
            'load-balancer-class',
            'lease-name',
            'lease-namespace',
            'identity',
            'lease-duration',
            'renew-deadline',
            'retry-period',
            'log-level',
            'metrics-host',
            'metrics-port',
            'workers',
            'service-label-selector',
          ].map((n) => [n, { type: 'string' as const }]),
        ),
      },
    });
    return ok(values as Values);
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e));
  }
}

const str = (v: Values, name: string): string | undefined => {
  const x = v[name];
  return typeof x === 'string' && x !== '' ? x : undefined;
};

interface Timing {
  leaseDurationSeconds: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

function timing(v: Values): Result<Timing> {
  const lease = durationFlag(str(v, 'lease-duration'), { name: 'lease-duration', defMs: 15_000 });
  const renew = durationFlag(str(v, 'renew-deadline'), { name: 'renew-deadline', defMs: 10_000 });
  const retry = durationFlag(str(v, 'retry-period'), { name: 'retry-period', defMs: 2_000 });
  if (!lease.ok) return lease;
  if (!renew.ok) return renew;
  if (!retry.ok) return retry;
  // client-go's rules: leaseDuration > renewDeadline > retryPeriod.
  if (!(lease.value > renew.value && renew.value > retry.value))
    return err('need --lease-duration > --renew-deadline > --retry-period');
  return ok({
    leaseDurationSeconds: Math.max(1, Math.ceil(lease.value / 1000)),
    renewDeadlineMs: renew.value,
    retryPeriodMs: retry.value,
  });
}

function logLevel(v: Values): Result<LogLevel> {
  const level = str(v, 'log-level') ?? 'info';
  if (!LEVELS.includes(level)) return err(`--log-level: '${level}' is not one of ${LEVELS.join(', ')}`);
  return ok(level as LogLevel);
}

/** Parses argv (without node and script). Bad flags are a value, never a throw. */
export function parseFlags(argv: readonly string[], env: FlagEnv): Result<FlagsOutcome> {
  const read = readArgs(argv);
  if (!read.ok) return read;
  const v = read.value;
  if (v.help === true) return ok({ kind: 'help', text: HELP });
  const t = timing(v);
  if (!t.ok) return t;
  const port = intFlag(str(v, 'metrics-port'), { name: 'metrics-port', def: 7472, min: 0, max: 65535 });
  if (!port.ok) return port;
  const workers = intFlag(str(v, 'workers'), { name: 'workers', def: 8, min: 1, max: 256 });
  if (!workers.ok) return workers;
  const level = logLevel(v);
  if (!level.ok) return level;
  return ok({
    kind: 'run',
    options: {
      kubeconfig: str(v, 'kubeconfig') ?? (env.KUBECONFIG === '' ? undefined : env.KUBECONFIG),
      loadBalancerClass: str(v, 'load-balancer-class'),
      leaderElect: v['leader-elect'] === true,
      leaseName: str(v, 'lease-name') ?? 'ironlb-controller',
      leaseNamespace: str(v, 'lease-namespace') ?? (env.POD_NAMESPACE || 'ironlb-system'),
      identity: str(v, 'identity') ?? (env.POD_NAME || env.fallbackIdentity),
      ...t.value,
      logLevel: level.value,
      metricsHost: str(v, 'metrics-host') ?? '0.0.0.0',
      metricsPort: port.value,
      workers: workers.value,
      serviceLabelSelector: str(v, 'service-label-selector'),
    },
  });
}
