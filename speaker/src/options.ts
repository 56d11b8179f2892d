import { parseArgs } from 'node:util';
import type { Result } from '@ironlb/shared';

export interface SpeakerCliOptions {
  help: boolean;
  nodeName: string;
  kubeconfig: string | undefined;
  logLevel: string;
  metricsHost: string;
  metricsPort: number;
  membershipBind: string;
  membershipPort: number;
  membershipSecretFile: string | undefined;
  heartbeatIntervalMs: number;
  deadAfterMs: number;
  stallToleranceMs: number;
  conflictProbeIntervalMs: number;
  handoverMs: number;
  resyncMs: number;
  interface: string | undefined;
  loadBalancerClass: string | undefined;
}

export const HELP = `Usage: NODE_NAME=<node> node speaker/dist/main.js [flags]

ironlb speaker: elects one announcer per LoadBalancer IP and answers ARP/NDP for it.

Flags:
  --node-name <name>                 this node's name (default: $NODE_NAME; required)
  --kubeconfig <path>                kubeconfig (default: $KUBECONFIG, else in-cluster)
  --log-level <level>                trace|debug|info|warn|error (default: info)
  --metrics-host <addr>              address of /healthz, /readyz, /metrics (default: 0.0.0.0)
  --metrics-port <port>              (default: 7473)
  --membership-bind <addr>           address to receive heartbeats on (default: 0.0.0.0)
  --membership-port <port>           UDP port of speaker heartbeats (default: 7946)
  --membership-secret-file <path>    file holding the shared heartbeat secret
                                     (or $IRONLB_MEMBERSHIP_SECRET; required)
  --heartbeat-interval-ms <ms>       heartbeat period (default: 100)
  --dead-after-ms <ms>               silence after which a speaker is dead (default: 500)
  --stall-tolerance-ms <ms>          event-loop stall covered by pre-signed heartbeats (default: 2000)
  --conflict-probe-interval-ms <ms>  period of the IP conflict probe, 0 = off (default: 10000)
  --handover-ms <ms>                 keep answering this long after leaving on SIGTERM (default: 1000)
  --resync-ms <ms>                   periodic re-plan (default: 5000)
  --load-balancer-class <name>       also announce Services with this spec.loadBalancerClass
                                     (Services without a class are always announced)
  --interface <name>                 interface for L2Announcements that name none
                                     (default: the one holding the node's InternalIP)
  --help                             show this help
`;

const NUMBER_DEFAULTS = {
  'metrics-port': 7473,
  'membership-port': 7946,
  'heartbeat-interval-ms': 100,
  'dead-after-ms': 500,
  'stall-tolerance-ms': 2000,
  'conflict-probe-interval-ms': 10_000,
  'handover-ms': 1000,
  'resync-ms': 5000,
} as const;
type NumberFlag = keyof typeof NUMBER_DEFAULTS;
const STRING_FLAGS = [
  'node-name',
  'kubeconfig',
  'log-level',
  'metrics-host',
  'membership-bind',
  'membership-secret-file',
  'interface',
  'load-balancer-class',
] as const;

type Values = Record<string, string | boolean | undefined>;

function readFlags(argv: string[]): Result<Values> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const k of [...STRING_FLAGS, ...Object.keys(NUMBER_DEFAULTS)]) options[k] = { type: 'string' };
  try {
    return { ok: true, value: parseArgs({ args: argv, strict: true, options }).values };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

function readNumbers(values: Values): Result<Record<NumberFlag, number>> {
  const out = { ...NUMBER_DEFAULTS } as Record<NumberFlag, number>;
  for (const k of Object.keys(NUMBER_DEFAULTS) as NumberFlag[]) {
    const raw = values[k];
    if (typeof raw !== 'string') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0)
      return { ok: false, error: `--${k}: '${raw}' is not a non-negative integer` };
    out[k] = n;
  }
  if (out['dead-after-ms'] <= out['heartbeat-interval-ms'] * 2) {
    return { ok: false, error: '--dead-after-ms must be more than twice --heartbeat-interval-ms' };
  }
  return { ok: true, value: out };
}

/** Parses flags; environment values come in as data (only main.ts reads the environment). */
export function parseSpeakerOptions(args: {
  argv: string[];
  env: Readonly<Record<string, string | undefined>>;
}): Result<SpeakerCliOptions> {
  const flags = readFlags(args.argv);
  if (!flags.ok) return flags;
  const values = flags.value;
  const str = (k: (typeof STRING_FLAGS)[number]): string | undefined =>
    typeof values[k] === 'string' ? values[k] : undefined;
  const numbers = readNumbers(values);
  if (!numbers.ok) return numbers;
  const n = numbers.value;
  const nodeName = str('node-name') ?? args.env.NODE_NAME ?? '';
  const help = values.help === true;
  if (!help && nodeName === '')
    return { ok: false, error: 'the node name is required: set NODE_NAME or --node-name' };
  return {
    ok: true,
    value: {
      help,
      nodeName,
      kubeconfig: str('kubeconfig') ?? args.env.KUBECONFIG,
      logLevel: str('log-level') ?? 'info',
      metricsHost: str('metrics-host') ?? '0.0.0.0',
      metricsPort: n['metrics-port'],
      membershipBind: str('membership-bind') ?? '0.0.0.0',
      membershipPort: n['membership-port'],
      membershipSecretFile: str('membership-secret-file'),
      heartbeatIntervalMs: n['heartbeat-interval-ms'],
      deadAfterMs: n['dead-after-ms'],
      stallToleranceMs: n['stall-tolerance-ms'],
      conflictProbeIntervalMs: n['conflict-probe-interval-ms'],
      handoverMs: n['handover-ms'],
      resyncMs: n['resync-ms'],
      interface: str('interface'),
      loadBalancerClass: str('load-balancer-class'),
    },
  };
}
