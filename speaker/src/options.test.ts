import { describe, expect, it } from 'vitest';
import { HELP, parseSpeakerOptions } from './options.js';

const parse = (...argv: string[]): ReturnType<typeof parseSpeakerOptions> =>
  parseSpeakerOptions({ argv, env: { NODE_NAME: 'n' } });
const error = (...argv: string[]): string => {
  const r = parse(...argv);
  return r.ok ? 'accepted' : r.error;
};

describe('parseSpeakerOptions', () => {
  it('takes the node name from NODE_NAME and applies defaults', () => {
    const r = parseSpeakerOptions({ argv: [], env: { NODE_NAME: 'n1', KUBECONFIG: '/k' } });
    expect(r).toEqual({
      ok: true,
      value: {
        help: false,
        nodeName: 'n1',
        kubeconfig: '/k',
        logLevel: 'info',
        metricsHost: undefined,
        metricsPort: 7473,
        membershipBind: '0.0.0.0',
        membershipPort: 7946,
        membershipSecretFile: undefined,
        heartbeatIntervalMs: 100,
        deadAfterMs: 500,
        stallToleranceMs: 2000,
        conflictProbeIntervalMs: 10_000,
        handoverMs: 1000,
        resyncMs: 5000,
        claimGraceMs: 300,
        staleAfterMs: 3000,
        claimSettleMs: 5000,
        interface: undefined,
        loadBalancerClass: undefined,
        packetReceiveBufferBytes: 4_194_304,
        bgp: undefined,
      },
    });
  });

  it('turns BGP on with the FRR config directory, optionally naming the FRR instance', () => {
    expect(parse('--bgp-frr-config=/etc/frr/n1', '--bgp-frr-instance=lab-n1')).toMatchObject({
      ok: true,
      value: { bgp: { frrConfigDir: '/etc/frr/n1', frrInstance: 'lab-n1', sessionPollMs: 2000 } },
    });
    expect(parse('--bgp-frr-config=/etc/frr', '--bgp-session-poll=500ms')).toMatchObject({
      ok: true,
      value: { bgp: { frrConfigDir: '/etc/frr', frrInstance: undefined, sessionPollMs: 500 } },
    });
    expect(error('--bgp-frr-instance=lab-n1')).toBe(
      "--bgp-frr-instance needs --bgp-frr-config (the directory of that instance's frr.conf)",
    );
    expect(error('--bgp-frr-config=/x', '--bgp-frr-instance=a/b')).toBe(
      "--bgp-frr-instance: 'a/b' is not an FRR path space (1-64 of A-Z a-z 0-9 _ . -)",
    );
    expect(error('--bgp-session-poll=10ms')).toBe("--bgp-session-poll: '10ms' is not between 100ms and 1m");
    expect(HELP).toContain('--bgp-frr-config <dir>');
  });

  it('password Secrets: --bgp-secret-namespace, else $POD_NAMESPACE, else ironlb-system', () => {
    const ns = (argv: string[], env: Record<string, string> = {}): unknown => {
      const r = parseSpeakerOptions({
        argv: ['--bgp-frr-config=/etc/frr', ...argv],
        env: { NODE_NAME: 'n', ...env },
      });
      return r.ok ? r.value.bgp?.passwordNamespace : r.error;
    };
    expect(ns([])).toBe('ironlb-system');
    expect(ns([], { POD_NAMESPACE: 'lb' })).toBe('lb');
    expect(ns(['--bgp-secret-namespace=net'], { POD_NAMESPACE: 'lb' })).toBe('net');
    expect(ns(['--bgp-secret-namespace=Bad_NS'])).toBe(
      "--bgp-secret-namespace: 'Bad_NS' is not a namespace name (DNS label)",
    );
  });

  it('reads the packet receive buffer in bytes, within 64 KiB..1 GiB', () => {
    expect(parse('--packet-receive-buffer=212992')).toMatchObject({
      ok: true,
      value: { packetReceiveBufferBytes: 212_992 },
    });
    expect(error('--packet-receive-buffer=4k')).toBe(
      "--packet-receive-buffer: '4k' is not an integer in 65536..1073741824",
    );
    expect(error('--packet-receive-buffer=4096')).toBe(
      "--packet-receive-buffer: '4096' is not an integer in 65536..1073741824",
    );
    expect(HELP).toContain('--packet-receive-buffer <bytes>');
  });

  it('lets flags win over the environment and reads durations with units', () => {
    const r = parseSpeakerOptions({
      argv: [
        '--node-name',
        'n2',
        '--heartbeat-interval',
        '50ms',
        '--dead-after=300ms',
        '--stall-tolerance=0',
        '--conflict-probe-interval=0',
        '--handover=1.5s',
        '--resync=1m',
        '--claim-grace=200ms',
        '--stale-after=1m30s',
        '--claim-settle=0',
        '--log-level=debug',
        '--interface',
        'eth1',
      ],
      env: { NODE_NAME: 'n1' },
    });
    expect(r).toMatchObject({
      ok: true,
      value: {
        nodeName: 'n2',
        heartbeatIntervalMs: 50,
        deadAfterMs: 300,
        stallToleranceMs: 0,
        conflictProbeIntervalMs: 0,
        handoverMs: 1500,
        resyncMs: 60_000,
        claimGraceMs: 200,
        staleAfterMs: 90_000,
        claimSettleMs: 0,
        logLevel: 'debug',
        interface: 'eth1',
      },
    });
  });

  it('explains bad input instead of throwing', () => {
    expect(parseSpeakerOptions({ argv: [], env: {} })).toEqual({
      ok: false,
      error: 'the node name is required: set NODE_NAME or --node-name',
    });
    expect(error('--metrics-port', 'x')).toBe("--metrics-port: 'x' is not an integer in 1..65535");
    expect(error('--dead-after', '150ms')).toBe('--dead-after must be more than twice --heartbeat-interval');
    expect(error('--bogus')).toMatch(/bogus/);
  });

  it('rejects zero where a period would spin, and out-of-range values', () => {
    expect(error('--heartbeat-interval=0')).toBe("--heartbeat-interval: '0' is not between 10ms and 1m");
    expect(error('--heartbeat-interval=0ms')).toBe("--heartbeat-interval: '0ms' is not between 10ms and 1m");
    expect(error('--resync=0')).toBe("--resync: '0' is not between 100ms and 1h");
    expect(error('--claim-grace=0')).toBe("--claim-grace: '0' is not between 10ms and 1m");
    expect(error('--stale-after=0s')).toBe("--stale-after: '0s' is not between 100ms and 1h");
    expect(error('--conflict-probe-interval=10ms')).toBe(
      "--conflict-probe-interval: '10ms' is not between 100ms and 1h (or 0 = off)",
    );
    expect(error('--handover=2m')).toBe("--handover: '2m' is not between 0 and 1m");
    expect(error('--membership-port=0')).toBe("--membership-port: '0' is not an integer in 1..65535");
    expect(error('--membership-port=65536')).toBe("--membership-port: '65536' is not an integer in 1..65535");
    expect(error('--metrics-port=')).toBe("--metrics-port: '' is not an integer in 1..65535");
  });

  it('wants a unit on every duration', () => {
    expect(error('--heartbeat-interval', '100')).toBe(
      "--heartbeat-interval: '100' needs a unit: ms, s, m or h (e.g. 100ms or 100s)",
    );
    expect(error('--resync=soon')).toBe("--resync: 'soon' is not a duration like 100ms, 15s or 2m");
  });

  it('checks the log level against the allowed list', () => {
    expect(error('--log-level=verbose')).toBe(
      "--log-level: 'verbose' is not one of trace, debug, info, warn, error, fatal, silent",
    );
  });

  it('names the replacement of a renamed millisecond flag', () => {
    expect(error('--heartbeat-interval-ms', '100')).toBe(
      '--heartbeat-interval-ms was renamed to --heartbeat-interval, which takes a duration with a unit (e.g. --heartbeat-interval 100ms)',
    );
    expect(error('--resync-ms=3000')).toMatch(/^--resync-ms was renamed to --resync,/);
  });

  it('allows --help without a node name, and the help lists every duration flag', () => {
    expect(parseSpeakerOptions({ argv: ['--help'], env: {} })).toMatchObject({
      ok: true,
      value: { help: true },
    });
    for (const flag of [
      'heartbeat-interval',
      'dead-after',
      'stall-tolerance',
      'conflict-probe-interval',
      'handover',
      'resync',
      'claim-grace',
      'stale-after',
      'claim-settle',
      'bgp-session-poll',
    ]) {
      expect(HELP).toContain(`--${flag} <dur>`);
      expect(parse('--dead-after=1m', `--${flag}=5s`).ok).toBe(true);
    }
  });
});
