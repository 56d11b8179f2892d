import { parseArgs } from 'node:util';
import type { BgpModeOptions } from './speaker-parts.js';
import {
  type DurationRule,
  type LogLevelName,
  type Result,
  durationFlag,
  err,
  intFlag,
  logLevelFlag,
  ok,
  portFlag,
} from '@ironlb/shared';

export interface SpeakerCliOptions {
  help: boolean;
  nodeName: string;
  kubeconfig: string | undefined;
  logLevel: LogLevelName;
  /** undefined: every address, IPv6 and IPv4 (see opsListenHost in shared/src/http). */
  metricsHost: string | undefined;
  metricsPort: number;
  membershipBind: string;
  membershipPort: number;
  membershipSecretFile: string | undefined;
  heartbeatIntervalMs: number;
  deadAfterMs: number;
  stallToleranceMs: number;
  /** 0 = off. */
  conflictProbeIntervalMs: number;
  handoverMs: number;
  resyncMs: number;
  /** How long the top-ranked live peer has to claim an IP before the next in rank takes it. */
  claimGraceMs: number;
  /** A view of the API older than this is stale: peers stop deferring to it. */
  staleAfterMs: number;
  /** How long the view must be fresh and confirmed before this speaker takes an IP a peer claims. */
  claimSettleMs: number;
  interface: string | undefined;
  loadBalancerClass: string | undefined;
  /** Receive buffer each ARP/NDP socket asks for, in bytes. */
  packetReceiveBufferBytes: number;
  /** BGP mode: off unless the directory of the node's FRR configuration is given. */
  bgp: BgpModeOptions | undefined;
}

export const HELP = `Usage: NODE_NAME=<node> node speaker/dist/main.js [flags]

ironlb speaker: elects one announcer per LoadBalancer IP and answers ARP/NDP for it.

Flags:
  --node-name <name>                 this node's name (default: $NODE_NAME; required)
  --kubeconfig <path>                kubeconfig (default: $KUBECONFIG, else in-cluster)
  --log-level <level>                trace|debug|info|warn|error|fatal|silent (default: info)
  --metrics-host <addr>              address of /healthz, /readyz, /metrics (default: all
                                     addresses, IPv6 and IPv4: ::, or 0.0.0.0 without IPv6)
  --metrics-port <port>              (default: 7473)
  --membership-bind <addr>           address to receive heartbeats on (default: 0.0.0.0)
  --membership-port <port>           UDP port of speaker heartbeats (default: 7946)
  --membership-secret-file <path>    file holding the shared heartbeat secret, waited for
                                     while missing or empty (or $IRONLB_MEMBERSHIP_SECRET;
                                     required)
  --heartbeat-interval <dur>         heartbeat period, 10ms..1m (default: 100ms)
  --dead-after <dur>                 silence after which a speaker is dead, more than twice
                                     --heartbeat-interval, at most 10m (default: 500ms)
  --stall-tolerance <dur>            event-loop stall covered by pre-signed heartbeats, 0..1m
                                     (default: 2s)
  --conflict-probe-interval <dur>    period of the IP conflict probe, 100ms..1h, 0 = off (default: 10s)
  --handover <dur>                   keep answering this long after leaving on SIGTERM, 0..1m
                                     (default: 1s)
  --resync <dur>                     periodic re-plan, 100ms..1h (default: 5s)
  --claim-grace <dur>                an IP the first-ranked live peer does not claim within this is
                                     announced by the next in rank, 10ms..1m (default: 300ms)
  --stale-after <dur>                a view of the API server older than this is stale and peers stop
                                     deferring to it, 100ms..1h (default: 3s)
  --claim-settle <dur>               take no IP a peer announces until the view of the API server has
                                     been fresh this long without a break (after start or a stale
                                     spell); also gates readiness, 100ms..10m, 0 = off (default: 5s)
  --load-balancer-class <name>       also announce Services with this spec.loadBalancerClass
                                     (Services without a class are always announced)
  --interface <name>                 interface for L2Announcements that name none
                                     (default: the one holding the node's InternalIP)
  --packet-receive-buffer <bytes>    receive buffer each ARP/NDP socket asks for, 65536..1073741824
                                     (default: 4194304); with CAP_NET_RAW alone the kernel caps it
                                     at net.core.rmem_max
  --bgp-frr-config <dir>             BGP mode: directory of this node's FRR frr.conf, which the
                                     speaker renders and applies with frr-reload.py (default: off)
  --bgp-frr-instance <name>          FRR path space (-N) of this node's FRR (default: the default
                                     instance); needs --bgp-frr-config
  --bgp-session-poll <dur>           period of reading BGP session states from FRR, 100ms..1m
                                     (default: 2s)
  --bgp-secret-namespace <ns>        namespace of the BGPPeers' password Secrets, the one ironlb
                                     runs in (default: $POD_NAMESPACE, else ironlb-system)
  --help                             show this help

Durations: a number with unit ms, s, m or h (e.g. 100ms, 15s, 2m, 1m30s).
`;

const DURATIONS = {
  'heartbeat-interval': { defMs: 100, minMs: 10, maxMs: 60_000 },
  'dead-after': { defMs: 500, minMs: 30, maxMs: 600_000 },
  'stall-tolerance': { defMs: 2000, minMs: 0, maxMs: 60_000 },
  'conflict-probe-interval': { defMs: 10_000, minMs: 100, maxMs: 3_600_000, zeroMeansOff: true },
  handover: { defMs: 1000, minMs: 0, maxMs: 60_000 },
  resync: { defMs: 5000, minMs: 100, maxMs: 3_600_000 },
  'claim-grace': { defMs: 300, minMs: 10, maxMs: 60_000 },
  'stale-after': { defMs: 3000, minMs: 100, maxMs: 3_600_000 },
  'claim-settle': { defMs: 5000, minMs: 100, maxMs: 600_000, zeroMeansOff: true },
  'bgp-session-poll': { defMs: 2000, minMs: 100, maxMs: 60_000 },
} as const satisfies Record<string, Omit<DurationRule, 'name'>>;
type DurationName = keyof typeof DURATIONS;

const PORTS = { 'metrics-port': 7473, 'membership-port': 7946 } as const;
const RECEIVE_BUFFER = { name: 'packet-receive-buffer', def: 4 * 1024 * 1024, min: 65_536, max: 1024 ** 3 };
type PortName = keyof typeof PORTS;

const STRING_FLAGS = [
  'node-name',
  'kubeconfig',
  'log-level',
  'metrics-host',
  'membership-bind',
  'membership-secret-file',
  'interface',
  'load-balancer-class',
  'bgp-frr-config',
  'bgp-frr-instance',
  'bgp-secret-namespace',
] as const;

/** Flags of earlier releases (integer milliseconds) and what replaced them. */
const RENAMED: Readonly<Record<string, string>> = {
  'heartbeat-interval-ms': 'heartbeat-interval',
  'dead-after-ms': 'dead-after',
  'stall-tolerance-ms': 'stall-tolerance',
  'conflict-probe-interval-ms': 'conflict-probe-interval',
  'handover-ms': 'handover',
  'resync-ms': 'resync',
};

type Values = Record<string, string | boolean | undefined>;

function renamedFlag(argv: readonly string[]): string | undefined {
  for (const arg of argv) {
    const name = /^--([a-z-]+)(?:=|$)/.exec(arg)?.[1];
    const now = name === undefined ? undefined : RENAMED[name];
    if (now !== undefined)
      return `--${name ?? ''} was renamed to --${now}, which takes a duration with a unit (e.g. --${now} 100ms)`;
  }
  return undefined;
}

function readFlags(argv: string[]): Result<Values> {
  const renamed = renamedFlag(argv);
  if (renamed !== undefined) return err(renamed);
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const k of [...STRING_FLAGS, ...Object.keys(DURATIONS), ...Object.keys(PORTS), RECEIVE_BUFFER.name])
    options[k] = { type: 'string' };
  try {
    return ok(parseArgs({ args: argv, strict: true, options }).values);
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e));
  }
}

const text = (values: Values, k: string): string | undefined =>
  typeof values[k] === 'string' ? values[k] : undefined;

interface Numbers {
  durations: Record<DurationName, number>;
  ports: Record<PortName, number>;
  receiveBuffer: number;
}

function readNumbers(values: Values): Result<Numbers> {
  const durations = {} as Record<DurationName, number>;
  for (const name of Object.keys(DURATIONS) as DurationName[]) {
    const r = durationFlag(text(values, name), { name, ...DURATIONS[name] });
    if (!r.ok) return r;
    durations[name] = r.value;
  }
  const ports = {} as Record<PortName, number>;
  for (const name of Object.keys(PORTS) as PortName[]) {
    const r = portFlag(text(values, name), { name, def: PORTS[name] });
    if (!r.ok) return r;
    ports[name] = r.value;
  }
  const receiveBuffer = intFlag(text(values, RECEIVE_BUFFER.name), RECEIVE_BUFFER);
  if (!receiveBuffer.ok) return receiveBuffer;
  // A peer is declared dead only after it missed at least two heartbeats in a row.
  if (durations['dead-after'] <= durations['heartbeat-interval'] * 2)
    return err('--dead-after must be more than twice --heartbeat-interval');
  return ok({ durations, ports, receiveBuffer: receiveBuffer.value });
}

/** BGP mode's flags: off (undefined) without --bgp-frr-config. */
function bgpOptions(o: {
  str: (k: (typeof STRING_FLAGS)[number]) => string | undefined;
  pollMs: number;
  podNamespace: string | undefined;
}): Result<SpeakerCliOptions['bgp']> {
  const frrConfigDir = o.str('bgp-frr-config');
  const frrInstance = o.str('bgp-frr-instance');
  if (frrConfigDir === undefined && frrInstance !== undefined)
    return err("--bgp-frr-instance needs --bgp-frr-config (the directory of that instance's frr.conf)");
  if (frrInstance !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(frrInstance))
    return err(`--bgp-frr-instance: '${frrInstance}' is not an FRR path space (1-64 of A-Z a-z 0-9 _ . -)`);
  const secretNamespace = o.str('bgp-secret-namespace');
  if (secretNamespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(secretNamespace))
    return err(`--bgp-secret-namespace: '${secretNamespace}' is not a namespace name (DNS label)`);
  if (frrConfigDir === undefined) return ok(undefined);
  return ok({
    frrInstance,
    frrConfigDir,
    sessionPollMs: o.pollMs,
    passwordNamespace: secretNamespace ?? (o.podNamespace || 'ironlb-system'),
  });
}

/** Parses flags; environment values come in as data (only main.ts reads the environment). */
export function parseSpeakerOptions(args: {
  argv: string[];
  env: Readonly<Record<string, string | undefined>>;
}): Result<SpeakerCliOptions> {
  const flags = readFlags(args.argv);
  if (!flags.ok) return flags;
  const values = flags.value;
  const str = (k: (typeof STRING_FLAGS)[number]): string | undefined => text(values, k);
  const numbers = readNumbers(values);
  if (!numbers.ok) return numbers;
  const { durations: d, ports, receiveBuffer } = numbers.value;
  const level = logLevelFlag(str('log-level'));
  if (!level.ok) return level;
  const nodeName = str('node-name') ?? args.env.NODE_NAME ?? '';
  const help = values.help === true;
  if (!help && nodeName === '') return err('the node name is required: set NODE_NAME or --node-name');
  const bgp = bgpOptions({
    str,
    pollMs: d['bgp-session-poll'],
    podNamespace: args.env.POD_NAMESPACE,
  });
  if (!bgp.ok) return bgp;
  return ok({
    help,
    nodeName,
    kubeconfig: str('kubeconfig') ?? args.env.KUBECONFIG,
    logLevel: level.value,
    metricsHost: str('metrics-host'),
    metricsPort: ports['metrics-port'],
    membershipBind: str('membership-bind') ?? '0.0.0.0',
    membershipPort: ports['membership-port'],
    membershipSecretFile: str('membership-secret-file'),
    heartbeatIntervalMs: d['heartbeat-interval'],
    deadAfterMs: d['dead-after'],
    stallToleranceMs: d['stall-tolerance'],
    conflictProbeIntervalMs: d['conflict-probe-interval'],
    handoverMs: d.handover,
    resyncMs: d.resync,
    claimGraceMs: d['claim-grace'],
    staleAfterMs: d['stale-after'],
    claimSettleMs: d['claim-settle'],
    interface: str('interface'),
    packetReceiveBufferBytes: receiveBuffer,
    loadBalancerClass: str('load-balancer-class'),
    bgp: bgp.value,
  });
}
