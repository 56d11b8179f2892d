import { describe, expect, it } from 'vitest';
import { HELP, parseFlags } from './flags.js';

const env = { fallbackIdentity: 'host_1' };

describe('parseFlags', () => {
  it('defaults: unset class only, no election, metrics on every address (no host) port 7472', () => {
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
      metricsHost: undefined,
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

  it('validates every number, duration and the log level', () => {
    const bad = (flag: string): string => {
      const r = parseFlags([flag], env);
      return r.ok ? 'accepted' : r.error;
    };
    expect(bad('--metrics-port=0')).toBe("--metrics-port: '0' is not an integer in 1..65535");
    expect(bad('--metrics-port=')).toBe("--metrics-port: '' is not an integer in 1..65535");
    expect(bad('--workers=0')).toBe("--workers: '0' is not an integer in 1..256");
    expect(bad('--workers=2.5')).toBe("--workers: '2.5' is not an integer in 1..256");
    expect(bad('--retry-period=0')).toBe("--retry-period: '0' is not between 100ms and 1h");
    expect(bad('--lease-duration=15')).toBe(
      "--lease-duration: '15' needs a unit: ms, s, m or h (e.g. 15ms or 15s)",
    );
    expect(bad('--renew-deadline=soon')).toBe(
      "--renew-deadline: 'soon' is not a duration like 100ms, 15s or 2m",
    );
    expect(bad('--log-level=')).toBe(
      "--log-level: '' is not one of trace, debug, info, warn, error, fatal, silent",
    );
  });

  it('--membership-secret: in $POD_NAMESPACE (else ironlb-system), unset by default, a bad name is an error', () => {
    const opts = (argv: string[], e: Parameters<typeof parseFlags>[1]): unknown => {
      const r = parseFlags(argv, e);
      return r.ok && r.value.kind === 'run' ? r.value.options.membershipSecret : r.ok ? 'help' : r.error;
    };
    expect(opts([], env)).toBeUndefined();
    expect(opts(['--membership-secret=ironlb-membership'], { ...env, POD_NAMESPACE: 'lb' })).toEqual({
      namespace: 'lb',
      name: 'ironlb-membership',
    });
    expect(opts(['--membership-secret=k'], env)).toEqual({ namespace: 'ironlb-system', name: 'k' });
    expect(opts(['--membership-secret='], env)).toBe(
      "--membership-secret: '' is not a valid Secret name (a DNS subdomain)",
    );
    expect(opts(['--membership-secret=Bad_Name'], env)).toBe(
      "--membership-secret: 'Bad_Name' is not a valid Secret name (a DNS subdomain)",
    );
    expect(HELP).toContain('--membership-secret=NAME');
  });

  it('reads compound durations', () => {
    const r = parseFlags(['--lease-duration=1m30s', '--renew-deadline=1m', '--retry-period=1.5s'], env);
    expect(r.ok && r.value.kind === 'run' && r.value.options).toMatchObject({
      leaseDurationSeconds: 90,
      renewDeadlineMs: 60_000,
      retryPeriodMs: 1500,
    });
  });
});
