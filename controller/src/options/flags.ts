import { parseArgs } from 'node:util';
import {
  type LogLevelName,
  type Result,
  durationFlag,
  err,
  intFlag,
  logLevelFlag,
  ok,
  portFlag,
} from '@ironlb/shared';

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
  readonly logLevel: LogLevelName;
  /** undefined: every address, IPv6 and IPv4 (see opsListenHost in shared/src/http). */
  readonly metricsHost: string | undefined;
  readonly metricsPort: number;
  /** Services reconciled in parallel; also the bound on concurrent status writes. */
  readonly workers: number;
  /** Only Services matching this label selector are seen (sharding, shared test clusters). */
  readonly serviceLabelSelector: string | undefined;
  /** Create this Secret (the speakers' membership key) if it is missing; undefined: do not. */
  readonly membershipSecret: { readonly namespace: string; readonly name: string } | undefined;
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
  --metrics-host=HOST          address of /healthz /readyz /metrics (default: all addresses,
                               IPv6 and IPv4: ::, or 0.0.0.0 on a host without IPv6)
  --metrics-port=PORT          port of /healthz /readyz /metrics (default 7472)
  --workers=N                  parallel reconciles and status writes (default 8)
  --service-label-selector=SEL only watch Services matching this label selector (default: all);
                               pools and their status are still global, so use it only where
                               no other controller serves the same pools (tests, shards)
  --membership-secret=NAME     create this Secret (key secretKey, 64 random characters) in
                               $POD_NAMESPACE (else ironlb-system) if it is missing; an existing
                               one is never read or changed (default: none)
  --help                       print this text

Durations: a number with unit ms, s, m or h (e.g. 500ms, 15s, 2m, 1m30s).
`;

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
            'membership-secret',
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

/** The text as given, '' included: a value flag given empty is an error, not the default. */
const raw = (v: Values, name: string): string | undefined => {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
};

interface Timing {
  leaseDurationSeconds: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

function timing(v: Values): Result<Timing> {
  const range = { minMs: 100, maxMs: 3_600_000 };
  const lease = durationFlag(raw(v, 'lease-duration'), { name: 'lease-duration', defMs: 15_000, ...range });
  const renew = durationFlag(raw(v, 'renew-deadline'), { name: 'renew-deadline', defMs: 10_000, ...range });
  const retry = durationFlag(raw(v, 'retry-period'), { name: 'retry-period', defMs: 2_000, ...range });
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

/** A Secret name is a DNS subdomain (lowercase alphanumerics, '-' and '.', at most 253 characters). */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/u;

function membershipSecret(v: Values, env: FlagEnv): Result<ControllerOptions['membershipSecret']> {
  const name = raw(v, 'membership-secret');
  if (name === undefined) return ok(undefined);
  if (name.length > 253 || !SECRET_NAME.test(name))
    return err(`--membership-secret: '${name}' is not a valid Secret name (a DNS subdomain)`);
  return ok({ namespace: env.POD_NAMESPACE || 'ironlb-system', name });
}

function numbers(v: Values): Result<Pick<ControllerOptions, 'metricsPort' | 'workers' | 'logLevel'>> {
  const port = portFlag(raw(v, 'metrics-port'), { name: 'metrics-port', def: 7472 });
  if (!port.ok) return port;
  const workers = intFlag(raw(v, 'workers'), { name: 'workers', def: 8, min: 1, max: 256 });
  if (!workers.ok) return workers;
  const level = logLevelFlag(raw(v, 'log-level'));
  if (!level.ok) return level;
  return ok({ metricsPort: port.value, workers: workers.value, logLevel: level.value });
}

/** Parses argv (without node and script). Bad flags are a value, never a throw. */
export function parseFlags(argv: readonly string[], env: FlagEnv): Result<FlagsOutcome> {
  const read = readArgs(argv);
  if (!read.ok) return read;
  const v = read.value;
  if (v.help === true) return ok({ kind: 'help', text: HELP });
  const t = timing(v);
  if (!t.ok) return t;
  const n = numbers(v);
  if (!n.ok) return n;
  const secret = membershipSecret(v, env);
  if (!secret.ok) return secret;
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
      ...n.value,
      metricsHost: str(v, 'metrics-host'),
      serviceLabelSelector: str(v, 'service-label-selector'),
      membershipSecret: secret.value,
    },
  });
}
