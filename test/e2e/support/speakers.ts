import { fileURLToPath } from 'node:url';
import { labKubeconfigPath } from './kube.js';
import { startInNetns, type NetnsProcess } from './netns.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TEST_MEMBERSHIP_SECRET = 'e2e-membership-secret-0123456789';
/** Ports of e2e speakers: not the defaults, so a demo install left running on the lab does not collide. */
export const E2E_SPEAKER_PORTS = { metrics: 27473, membership: 27946 } as const;

/**
 * The chart's speaker container as a command prefix: UID 0 with every capability dropped except NET_RAW
 * (bounding set included, so nothing can be regained) and no_new_privs (allowPrivilegeEscalation: false).
 */
export const NET_RAW_ONLY: readonly string[] = [
  'setpriv',
  '--bounding-set=-all,+net_raw',
  '--inh-caps=-all',
  '--no-new-privs',
  '--',
];

/** Speakers running as real processes (`node speaker/dist/main.js`) inside the lab's node namespaces. */
export class SpeakerSet {
  private readonly procs = new Map<string, NetnsProcess>();

  constructor(
    private readonly options: {
      nodes: readonly string[];
      args?: readonly string[];
      /** Default E2E_SPEAKER_PORTS; a suite that may run beside others picks its own. */
      ports?: { metrics: number; membership: number };
      /** Prefix of the recorded process names (unique while running); default 'e2e-speaker'. */
      name?: string;
      /**
       * Command that runs node, put before it, e.g. setpriv dropping capabilities (see NET_RAW_ONLY). It must
       * exec node in place, so the recorded PID stays the speaker's.
       */
      wrap?: readonly string[];
    },
  ) {}

  startAll(): void {
    for (const node of this.options.nodes) this.start(node);
  }

  start(node: string, extraArgs: readonly string[] = []): NetnsProcess {
    const proc = startInNetns({
      netns: node,
      name: `${this.options.name ?? 'e2e-speaker'}-${node}`,
      cwd: ROOT,
      argv: [
        ...(this.options.wrap ?? []),
        process.execPath,
        'speaker/dist/main.js',
        `--metrics-port=${(this.options.ports ?? E2E_SPEAKER_PORTS).metrics}`,
        `--membership-port=${(this.options.ports ?? E2E_SPEAKER_PORTS).membership}`,
        ...(this.options.args ?? []),
        ...extraArgs,
      ],
      env: {
        ...process.env,
        NODE_NAME: node,
        KUBECONFIG: labKubeconfigPath(),
        IRONLB_MEMBERSHIP_SECRET: TEST_MEMBERSHIP_SECRET,
      },
    });
    this.procs.set(node, proc);
    return proc;
  }

  pid(node: string): number | undefined {
    return this.procs.get(node)?.pid;
  }

  /** The process this set started for `node` (name, PID, log file), if any. */
  processOf(node: string): NetnsProcess | undefined {
    return this.procs.get(node);
  }

  /** SIGKILL: the speaker dies without handing over. */
  kill(node: string): void {
    const pid = this.procs.get(node)?.pid;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    this.procs.delete(node);
  }

  /** SIGTERM and wait for exit (graceful handover). */
  async stop(node: string): Promise<void> {
    await this.procs.get(node)?.stop();
    this.procs.delete(node);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((n) => this.stop(n)));
  }
}
