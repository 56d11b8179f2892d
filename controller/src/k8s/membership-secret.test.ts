import { ApiException, type V1Secret } from '@kubernetes/client-node';
import type { CoreV1Client } from '@ironlb/shared/kube';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ensureMembershipSecret, MEMBERSHIP_SECRET_KEY, newMembershipKey } from './membership-secret.js';

type Create = CoreV1Client['createNamespacedSecret'];

/** A fake API server: each create answers with the next status in `answers` (201 stores the body). */
function fakeCore(answers: number[]): {
  core: { createNamespacedSecret: Create };
  bodies: V1Secret[];
} {
  const bodies: V1Secret[] = [];
  const createNamespacedSecret = ((param: { namespace: string; body: V1Secret }) => {
    bodies.push(param.body);
    const code = answers.shift() ?? 500;
    if (code === 201) return Promise.resolve(param.body);
    return Promise.reject(
      new ApiException(code, `HTTP ${code}`, JSON.stringify({ message: `status ${code}` }), {}),
    );
  }) as Create;
  return { core: { createNamespacedSecret }, bodies };
}

function capture(): { logger: pino.Logger; lines: () => { level: number; msg: string; error?: string }[] } {
  const out: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => out.push(s) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

const NO_WAIT = { baseMs: 0, maxMs: 0 };

describe('ensureMembershipSecret', () => {
  it('creates the Secret with a fresh 64-character key under "secretKey" in the given namespace', async () => {
    const { core, bodies } = fakeCore([201]);
    const log = capture();
    const outcome = await ensureMembershipSecret(
      { core, namespace: 'ironlb-system', name: 'ironlb-membership', logger: log.logger },
      new AbortController().signal,
    );
    expect(outcome).toBe('created');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.metadata?.name).toBe('ironlb-membership');
    expect(bodies[0]?.metadata?.namespace).toBe('ironlb-system');
    expect(bodies[0]?.type).toBe('Opaque');
    expect(Object.keys(bodies[0]?.stringData ?? {})).toEqual([MEMBERSHIP_SECRET_KEY]);
    expect(bodies[0]?.stringData?.[MEMBERSHIP_SECRET_KEY]).toMatch(/^[A-Za-z0-9]{64}$/u);
    expect(log.lines().map((l) => l.msg)).toContain(
      'membership secret created (speakers read it from their volume)',
    );
  });

  it('409 AlreadyExists is success: one create, no retry, nothing overwritten', async () => {
    const { core, bodies } = fakeCore([409, 201]);
    const log = capture();
    const outcome = await ensureMembershipSecret(
      { core, namespace: 'ns', name: 's', logger: log.logger, retry: NO_WAIT },
      new AbortController().signal,
    );
    expect(outcome).toBe('exists');
    expect(bodies).toHaveLength(1);
    expect(log.lines().map((l) => l.msg)).toEqual(['membership secret exists; keeping its key']);
  });

  it('retries forbidden, server errors and lost connections with a warning each, until the create lands', async () => {
    const { core, bodies } = fakeCore([403, 500, 503, 201]);
    const log = capture();
    const outcome = await ensureMembershipSecret(
      { core, namespace: 'ns', name: 's', logger: log.logger, retry: NO_WAIT, newKey: () => 'k'.repeat(64) },
      new AbortController().signal,
    );
    expect(outcome).toBe('created');
    expect(bodies).toHaveLength(4);
    const warnings = log.lines().filter((l) => l.level === 40);
    expect(warnings.map((w) => w.error)).toEqual([
      'HTTP 403: status 403',
      'HTTP 500: status 500',
      'HTTP 503: status 503',
    ]);
  });

  it('stops retrying when the signal aborts, without another request', async () => {
    const { core, bodies } = fakeCore([500, 500, 500]);
    const stop = new AbortController();
    const log = capture();
    const running = ensureMembershipSecret(
      { core, namespace: 'ns', name: 's', logger: log.logger, retry: { baseMs: 60_000, maxMs: 60_000 } },
      stop.signal,
    );
    await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    expect(await running).toBe('stopped');
    expect(bodies).toHaveLength(1);
  });

  it('does nothing when already aborted', async () => {
    const { core, bodies } = fakeCore([201]);
    const stop = new AbortController();
    stop.abort();
    const outcome = await ensureMembershipSecret(
      { core, namespace: 'ns', name: 's', logger: capture().logger },
      stop.signal,
    );
    expect(outcome).toBe('stopped');
    expect(bodies).toHaveLength(0);
  });
});

describe('newMembershipKey', () => {
  it('is 64 alphanumerics, and 200 keys are all different and use the whole alphabet', () => {
    const keys = Array.from({ length: 200 }, () => newMembershipKey());
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9]{64}$/u);
    expect(new Set(keys).size).toBe(200);
    expect(new Set(keys.join('')).size).toBe(62);
  });
});
