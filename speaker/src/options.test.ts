import { describe, expect, it } from 'vitest';
import { parseSpeakerOptions } from './options.js';

describe('parseSpeakerOptions', () => {
  it('takes the node name from NODE_NAME and applies defaults', () => {
    const r = parseSpeakerOptions({ argv: [], env: { NODE_NAME: 'n1', KUBECONFIG: '/k' } });
    expect(r).toMatchObject({
      ok: true,
      value: { nodeName: 'n1', kubeconfig: '/k', metricsPort: 7473, membershipPort: 7946, deadAfterMs: 500 },
    });
  });

  it('lets flags win over the environment', () => {
    const r = parseSpeakerOptions({
      argv: [
        '--node-name',
        'n2',
        '--heartbeat-interval-ms',
        '50',
        '--dead-after-ms=300',
        '--interface',
        'eth1',
      ],
      env: { NODE_NAME: 'n1' },
    });
    expect(r).toMatchObject({
      ok: true,
      value: { nodeName: 'n2', heartbeatIntervalMs: 50, deadAfterMs: 300, interface: 'eth1' },
    });
  });

  it('explains bad input instead of throwing', () => {
    expect(parseSpeakerOptions({ argv: [], env: {} })).toEqual({
      ok: false,
      error: 'the node name is required: set NODE_NAME or --node-name',
    });
    expect(parseSpeakerOptions({ argv: ['--metrics-port', 'x'], env: { NODE_NAME: 'n' } })).toEqual({
      ok: false,
      error: "--metrics-port: 'x' is not a non-negative integer",
    });
    expect(parseSpeakerOptions({ argv: ['--dead-after-ms', '150'], env: { NODE_NAME: 'n' } })).toEqual({
      ok: false,
      error: '--dead-after-ms must be more than twice --heartbeat-interval-ms',
    });
    const unknown = parseSpeakerOptions({ argv: ['--bogus'], env: { NODE_NAME: 'n' } });
    expect(unknown.ok).toBe(false);
  });

  it('allows --help without a node name', () => {
    expect(parseSpeakerOptions({ argv: ['--help'], env: {} })).toMatchObject({
      ok: true,
      value: { help: true },
    });
  });
});
