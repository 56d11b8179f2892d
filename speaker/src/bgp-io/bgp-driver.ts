import {
  familyOfValidIP,
  formatIP,
  peerCoversNode,
  type BgpPeerConfig,
  type BgpSessionState,
} from '@ironlb/shared';
import type { EventRecorder, KubeClients } from '@ironlb/shared/kube';
import type { Logger } from 'pino';
import {
  type AdvertisePlan,
  type BgpPeerFacts,
  nodeFrrPlan,
  peerPassword,
  planAdvertisements,
  type FrrPlan,
  routerIdFor,
  wantedPasswordSecrets,
  type PasswordProblem,
} from '../bgp/index.js';
import { familyLabel } from '../metrics.js';
import type { PlanInput } from '../planner/index.js';
import { BgpConfigView } from './bgp-config-view.js';
import { bfdFacts, peerFacts } from './config-facts.js';
import type { BgpMetrics } from './bgp-metrics.js';
import { type CommandRunner, execRunner } from './command-runner.js';
import { FrrApplier, type FrrTarget } from './frr-applier.js';
import { PasswordReport } from './password-report.js';
import { PasswordSecrets, type PasswordSecretsOptions } from './password-secrets.js';
import { PeerStatusWriter } from './peer-status-writer.js';
import { SessionEventReporter } from './session-event-reporter.js';
import { SessionPoller } from './session-poller.js';

export interface BgpDriverOptions {
  nodeName: string;
  target: FrrTarget;
  clients: KubeClients;
  recorder: Pick<EventRecorder, 'emit'>;
  metrics: BgpMetrics;
  logger: Logger;
  /** Period of the session poller. */
  pollIntervalMs: number;
  /** A BGP object changed: the speaker re-plans (and calls `plan`). */
  onChange: () => void;
  /** Default: child processes. */
  run?: CommandRunner | undefined;
  /** Namespace of the BGPPeers' password Secrets (the one ironlb runs in). */
  passwordNamespace: string;
  /** Default: one informer per password Secret; tests pass a fake. */
  secretSourceFor?: PasswordSecretsOptions['sourceFor'];
  /** Default: informers on the API server; tests pass a fake. */
  view?: Pick<BgpConfigView, 'start' | 'stop' | 'hasSynced' | 'snapshot' | 'peerStatuses'> | undefined;
  /** Debounce of BGPPeer status writes (default 1 s). */
  statusDebounceMs?: number;
  /** Grace time before a `BGPSessionNotEstablished` Warning (default 60 s). */
  notEstablishedAfterMs?: number | undefined;
}

/** What the speaker hands over on every plan. */
export interface BgpPlanInput {
  snapshot: Omit<PlanInput, 'alive'>;
  /** This node's InternalIPs (IPv4 first). */
  addresses: readonly string[];
  /**
   * Speakers alive (membership). The first by name reports IPs that no node advertises, as Warning events
   * `BGPNotAdvertised` on their Services; undefined = every node in the snapshot counts as alive.
   */
  alive?: ReadonlySet<string> | undefined;
}

/**
 * The speaker's BGP mode: from the cluster view and the BGP objects, renders this node's frr.conf and keeps FRR
 * on it; watches the sessions (gauge, session events on the BGPPeer: `SessionEventReporter`).
 *
 * Invariants: at most one apply runs at a time and only the newest plan waits behind it (older ones
 * are skipped); nothing is rendered before the BGP caches have synced (an empty view would withdraw every
 * route); on stop FRR keeps its configuration, so a restarting speaker withdraws nothing.
 */
export class BgpDriver {
  private readonly view: Pick<BgpConfigView, 'start' | 'stop' | 'hasSynced' | 'snapshot' | 'peerStatuses'>;
  private readonly statusWriter: PeerStatusWriter;
  /** The BGPPeers that select this node (from the last plan; undefined before it): one status entry each. */
  private statusPeers: readonly BgpPeerConfig[] | undefined;
  private readonly applier: FrrApplier;
  private readonly poller: SessionPoller;
  private readonly sessionEvents: SessionEventReporter;
  /** The last poll's events, being emitted. */
  private reporting: Promise<void> = Promise.resolve();
  private next: { frr: FrrPlan; plan: AdvertisePlan } | undefined;
  private applying = false;
  private sessions: ReadonlyMap<string, BgpSessionState> = new Map();
  private peersByAddress = new Map<string, BgpPeerConfig>();
  private lastPlan: AdvertisePlan | undefined;
  private readonly passwords: PasswordSecrets;
  private readonly passwordReport: PasswordReport;
  /** IP → reason last reported as not advertised by any node (only while this node is the reporter). */
  private reported = new Map<string, string>();

  constructor(private readonly options: BgpDriverOptions) {
    const { clients, logger, target, metrics } = options;
    const run = options.run ?? execRunner;
    const log = logger.child({ component: 'bgp' });
    this.view = options.view ?? new BgpConfigView({ clients, logger: log, onChange: options.onChange });
    this.applier = new FrrApplier({ target, run, metrics, logger: log });
    this.passwords = new PasswordSecrets({
      clients,
      namespace: options.passwordNamespace,
      logger: log,
      onChange: options.onChange,
      sourceFor: options.secretSourceFor,
    });
    this.statusWriter = new PeerStatusWriter({
      nodeName: options.nodeName,
      custom: clients.custom,
      observed: () => this.view.peerStatuses(),
      logger: log,
      debounceMs: options.statusDebounceMs,
    });
    this.passwordReport = new PasswordReport({
      nodeName: options.nodeName,
      recorder: options.recorder,
      logger: log,
    });
    this.sessionEvents = new SessionEventReporter({
      nodeName: options.nodeName,
      target,
      run,
      recorder: options.recorder,
      logger: log,
      notEstablishedAfterMs: options.notEstablishedAfterMs,
    });
    this.poller = new SessionPoller({
      target,
      run,
      intervalMs: options.pollIntervalMs,
      metrics,
      logger: log,
      onSessions: (states) => {
        this.sessionsChanged(states);
      },
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    this.passwords.start(signal);
    await this.view.start(signal);
    this.poller.start(signal);
  }

  async stop(): Promise<void> {
    this.poller.stop();
    this.statusWriter.stop();
    await this.view.stop();
    await this.passwords.stop();
  }

  /** The BGP objects are cached and every password Secret they name has been read once. */
  hasSynced(): boolean {
    return this.view.hasSynced() && !this.passwords.loading();
  }

  /** Resolves once no apply is running or waiting (for tests and a graceful stop). */
  async settled(): Promise<void> {
    while (this.applying || this.next) await new Promise((r) => setTimeout(r, 10));
  }

  /** One session poll now (tests). */
  async pollSessions(): Promise<void> {
    await this.poller.pollOnce();
    await this.reporting;
  }

  /** The last advertisement plan (for debugging and tests). */
  currentPlan(): AdvertisePlan | undefined {
    return this.lastPlan;
  }

  plan(input: BgpPlanInput): void {
    if (!this.view.hasSynced()) return;
    const config = this.view.snapshot();
    // A peer whose Secret is being read for the first time would be left out: render nothing until it is read
    // (the end of that read re-plans), so a restarted speaker never drops a session it had.
    this.passwords.sync(wantedPasswordSecrets(config.peers));
    if (this.passwords.loading()) return;
    this.peersByAddress = new Map(config.peers.map((p) => [formatIP(p.peerAddress), p]));
    const self = input.snapshot.nodes.find((n) => n.name === this.options.nodeName);
    if (self) this.statusPeers = config.peers.filter((p) => peerCoversNode(p, self.labels));
    const plan = planAdvertisements({
      self,
      services: input.snapshot.services,
      pools: input.snapshot.pools,
      peers: this.peersWithPasswords(config.peers, self?.labels),
      advertisements: config.advertisements.map((a) => ({ ...a })),
    });
    this.lastPlan = plan;
    this.reportNotAdvertised(plan, input);
    const frr = nodeFrrPlan({
      routerId: routerIdFor(this.options.nodeName, input.addresses),
      plan,
      bfdProfiles: config.bfdProfiles.map(bfdFacts),
    });
    this.next = { frr, plan };
    void this.drain();
  }

  /**
   * The peers with their TCP MD5 password. A peer whose password Secret cannot be used is left out (no session
   * rather than one with a wrong or no password); for this node's sessions that is logged and reported.
   */
  private peersWithPasswords(
    peers: readonly BgpPeerConfig[],
    labels: Readonly<Record<string, string>> | undefined,
  ): BgpPeerFacts[] {
    const out: BgpPeerFacts[] = [];
    const problems = new Map<string, { peer: BgpPeerConfig; problem: PasswordProblem }>();
    for (const p of peers) {
      const ref = p.passwordSecret;
      const state = ref === undefined ? { kind: 'absent' as const } : this.passwords.state(ref.name);
      const verdict = peerPassword({ ref, namespace: this.passwords.namespace, secret: state });
      if (verdict.ok) out.push({ ...peerFacts(p), password: verdict.value });
      else if (verdict.error !== 'loading' && labels !== undefined && peerCoversNode(p, labels))
        problems.set(p.name, { peer: p, problem: verdict.error });
    }
    this.passwordReport.update(problems);
    return out;
  }

  /**
   * Warning events for IPs no node advertises (the reason holds on every node), from one node only (the first
   * alive speaker by name), once per change of reason.
   */
  private reportNotAdvertised(plan: AdvertisePlan, input: BgpPlanInput): void {
    const candidates = input.alive ?? new Set(input.snapshot.nodes.map((n) => n.name));
    const reporter = [...candidates].sort()[0];
    if (reporter !== this.options.nodeName) {
      this.reported.clear();
      return;
    }
    const now = new Map<string, string>();
    for (const ip of plan.ips) {
      const verdict = ip.notAdvertised;
      if (!verdict?.everyNode) continue;
      now.set(ip.ip, verdict.message);
      if (this.reported.get(ip.ip) === verdict.message) continue;
      for (const s of ip.services)
        this.options.recorder.emit({
          regarding: { apiVersion: 'v1', kind: 'Service', namespace: s.namespace, name: s.name, uid: s.uid },
          type: 'Warning',
          reason: 'BGPNotAdvertised',
          note: `${verdict.reason}: ${verdict.message}`,
        });
    }
    this.reported = now;
  }

  private async drain(): Promise<void> {
    if (this.applying) return;
    this.applying = true;
    try {
      while (this.next) {
        const { frr, plan } = this.next;
        this.next = undefined;
        const r = await this.applier.apply(frr);
        if (r.ok && r.value !== 'unchanged') this.countPrefixes(plan);
      }
    } finally {
      this.applying = false;
    }
  }

  private countPrefixes(plan: AdvertisePlan): void {
    const families = { ipv4: new Set<string>(), ipv6: new Set<string>() };
    for (const s of plan.sessions)
      for (const p of s.prefixes) families[familyLabel(familyOfValidIP(p.prefix))].add(p.prefix);
    this.options.metrics.prefixesAdvertised.set({ family: 'ipv4' }, families.ipv4.size);
    this.options.metrics.prefixesAdvertised.set({ family: 'ipv6' }, families.ipv6.size);
  }

  private sessionsChanged(states: ReadonlyMap<string, BgpSessionState>): void {
    const wanted = new Set(this.lastPlan?.sessions.map((s) => s.peer.address) ?? []);
    this.reporting = this.sessionEvents.update({ states, wanted, peers: this.peersByAddress });
    this.sessions = states;
    this.writeStatus();
  }

  /** This node's entry in the status of each BGPPeer that selects it (written when it changed). */
  private writeStatus(): void {
    if (this.statusPeers === undefined) return;
    const desired = new Map(
      this.statusPeers.map((p) => [p.name, this.sessions.get(formatIP(p.peerAddress))] as const),
    );
    this.statusWriter.update(desired);
  }

  /** Writes pending BGPPeer status changes now (tests). */
  async flushStatus(): Promise<void> {
    await this.statusWriter.flush();
  }
}
