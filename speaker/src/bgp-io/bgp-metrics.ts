import { Counter, Gauge, type Registry } from 'prom-client';

/** Metrics of the speaker's BGP part (`ironlb_bgp_*`), on the speaker's registry. */
export interface BgpMetrics {
  readonly reloads: Counter;
  readonly reloadFailures: Counter;
  readonly incrementalApplies: Counter;
  readonly incrementalApplyFailures: Counter;
  readonly prefixesAdvertised: Gauge<'family'>;
  readonly sessionsUp: Gauge;
}

export function createBgpMetrics(registry: Registry): BgpMetrics {
  return {
    reloads: new Counter({
      name: 'ironlb_bgp_reloads_total',
      help: 'Times the whole frr.conf was applied to FRR successfully (frr-reload.py): structural changes, fallbacks and reconciles',
      registers: [registry],
    }),
    reloadFailures: new Counter({
      name: 'ironlb_bgp_reload_failures_total',
      help: 'Times applying a changed frr.conf to FRR failed (retried on the next plan)',
      registers: [registry],
    }),
    incrementalApplies: new Counter({
      name: 'ironlb_bgp_incremental_applies_total',
      help: 'Times a prefix-only change of frr.conf was applied to FRR with one vtysh session',
      registers: [registry],
    }),
    incrementalApplyFailures: new Counter({
      name: 'ironlb_bgp_incremental_apply_failures_total',
      help: 'Times a prefix-only change failed in vtysh and the whole frr.conf was reloaded instead',
      registers: [registry],
    }),
    prefixesAdvertised: new Gauge({
      name: 'ironlb_bgp_prefixes_advertised',
      help: 'Distinct prefixes this node advertises to at least one BGP peer, per the last applied configuration',
      labelNames: ['family'],
      registers: [registry],
    }),
    sessionsUp: new Gauge({
      name: 'ironlb_bgp_sessions_up',
      help: 'BGP sessions of this node in state Established, as FRR reports them',
      registers: [registry],
    }),
  };
}
