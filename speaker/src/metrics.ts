import type { IPFamily } from '@ironlb/shared';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Value of the `family` label: metric label values are lower case; code uses IPFamily ('IPv4' | 'IPv6'). */
export type FamilyLabel = 'ipv4' | 'ipv6';

/** Prometheus metrics of the speaker (`ironlb_speaker_*`). One instance per process. */
export interface SpeakerMetrics {
  readonly registry: Registry;
  readonly requestsReceived: Counter<'family'>;
  readonly repliesSent: Counter<'family'>;
  readonly gratuitousSent: Counter<'family'>;
  readonly announcedIps: Gauge<'family'>;
  readonly electionChanges: Counter;
  readonly membersAlive: Gauge;
  readonly conflicts: Counter<'family'>;
  readonly sendErrors: Counter<'code'>;
  readonly viewStale: Gauge;
  readonly viewStalenessSeconds: Gauge;
  readonly peerUnclaimed: Counter<'peer'>;
  readonly socketRcvbufBytes: Gauge<'interface'>;
}

export function createSpeakerMetrics(registry = new Registry()): SpeakerMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'ironlb_speaker_' });
  const family = ['family'] as const;
  return {
    registry,
    requestsReceived: new Counter({
      name: 'ironlb_speaker_requests_received_total',
      help: 'ARP requests and neighbour solicitations received',
      labelNames: family,
      registers: [registry],
    }),
    repliesSent: new Counter({
      name: 'ironlb_speaker_replies_sent_total',
      help: 'ARP replies and neighbour advertisements sent in answer to a request',
      labelNames: family,
      registers: [registry],
    }),
    gratuitousSent: new Counter({
      name: 'ironlb_speaker_gratuitous_sent_total',
      help: 'Gratuitous ARPs and unsolicited neighbour advertisements sent on takeover',
      labelNames: family,
      registers: [registry],
    }),
    announcedIps: new Gauge({
      name: 'ironlb_speaker_announced_ips',
      help: 'IPs this node announces now',
      labelNames: family,
      registers: [registry],
    }),
    electionChanges: new Counter({
      name: 'ironlb_speaker_election_changes_total',
      help: 'Times the announcer of an IP changed, as computed by this speaker',
      registers: [registry],
    }),
    membersAlive: new Gauge({
      name: 'ironlb_speaker_members_alive',
      help: 'Speakers alive according to heartbeats, this one included',
      registers: [registry],
    }),
    conflicts: new Counter({
      name: 'ironlb_speaker_conflicts_total',
      help: 'Frames in which a host that is not an ironlb speaker claimed an announced IP',
      labelNames: family,
      registers: [registry],
    }),
    sendErrors: new Counter({
      name: 'ironlb_speaker_send_errors_total',
      help: 'Frames that could not be sent, by errno',
      labelNames: ['code'],
      registers: [registry],
    }),
    viewStale: new Gauge({
      name: 'ironlb_speaker_view_stale',
      help: '1 while this speaker has not reached the API server for longer than --stale-after',
      registers: [registry],
    }),
    viewStalenessSeconds: new Gauge({
      name: 'ironlb_speaker_view_staleness_seconds',
      help: 'Time since this speaker last reached the API server',
      registers: [registry],
    }),
    peerUnclaimed: new Counter({
      name: 'ironlb_speaker_peer_unclaimed_total',
      help: 'Times this speaker passed over a peer ranked before it that did not announce an IP (stale view or no claim within the grace)',
      labelNames: ['peer'],
      registers: [registry],
    }),
    socketRcvbufBytes: new Gauge({
      name: 'ironlb_speaker_socket_rcvbuf_bytes',
      help: 'Receive buffer of the ARP/NDP packet sockets on an interface as the kernel reports it (getsockopt SO_RCVBUF, the smaller of the two); capped at 2 x net.core.rmem_max without CAP_NET_ADMIN',
      labelNames: ['interface'],
      registers: [registry],
    }),
  };
}

export function familyLabel(family: IPFamily): FamilyLabel {
  return family === 'IPv4' ? 'ipv4' : 'ipv6';
}
