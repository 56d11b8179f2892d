import { describe, expect, it } from 'vitest';
import { HELP, parseDuration, parseFlags } from './flags.js';

const env = { fallbackIdentity: 'host_1' };

describe('parseFlags', () => {
  it('defaults: unset class only, no election, metrics on 0.0.0.0:7472', () => {
    const r = parseFlags([], env);
    expect(r.ok && r.value.kind === 'run' && r.value.options).toMatchObject({
      loadBalancerClass: undefined,
      leaderElect: false,
      leaseName: 'ironlb-controller',
      leaseNamespace: 'ironlb-system',
      identity: 'host_1',
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      metricsHost: '0.0.0.0',
      metricsPort: 7472,
      logLevel: 'info',
    });
  });

  it('reads the chart flags and the pod env', () => {
    const r = parseFlags(
      ['--leader-elect', '--log-level=debug', '--metrics-port=7472', '--load-balancer-class=x.io/y'],
      { ...env, POD_NAME: 'pod-a', POD_NAMESPACE: 'ironlb', KUBECONFIG: '/k' },
    );
    expect(r.ok && r.value.kind === 'run' && r.value.options).toMatchObject({
      leaderElect: true,
      logLevel: 'debug',
      loadBalancerClass: 'x.io/y',
      identity: 'pod-a',
      leaseNamespace: 'ironlb',
      kubeconfig: '/k',
    });
  });

  it('short lease timings for tests', () => {
    const r = parseFlags(['--lease-duration=3s', '--renew-deadline=2s', '--retry-period=500ms'], env);
    expect(r.ok && r.value.kind === 'run' && r.value.options).toMatchObject({
      leaseDurationSeconds: 3,
      renewDeadlineMs: 2000,
      retryPeriodMs: 500,
    });
  });

  it('bad flags are values', () => {
    expect(parseFlags(['--nope'], env).ok).toBe(false);
    expect(parseFlags(['--metrics-port=70000'], env)).toMatchObject({ ok: false });
    expect(parseFlags(['--log-level=loud'], env)).toMatchObject({ ok: false });
    expect(parseFlags(['--lease-duration=1s', '--renew-deadline=2s'], env)).toMatchObject({
      ok: false,
      error: 'need --lease-duration > --renew-deadline > --retry-period',
    });
  });

  it('--help lists every flag', () => {
    const r = parseFlags(['--help'], env);
    expect(r).toEqual({ ok: true, value: { kind: 'help', text: HELP } });
    for (const f of [
      '--kubeconfig',
      '--leader-elect',
      '--metrics-port',
      '--metrics-host',
      '--load-balancer-class',
    ])
      expect(HELP).toContain(f);
  });

  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('3')).toBe(3000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('3h')).toBeUndefined();
  });
});
