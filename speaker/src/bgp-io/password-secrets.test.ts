import type { KubeClients } from '@ironlb/shared/kube';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PasswordSecrets, type SecretSource, type SecretSourceSpec, slimSecret } from './password-secrets.js';

interface Fake extends SecretSource {
  spec: SecretSourceSpec;
  stopped: boolean;
  finishStart: (listed: boolean) => void;
}

function setup(): { secrets: PasswordSecrets; sources: Fake[]; changes: () => number } {
  const sources: Fake[] = [];
  let changes = 0;
  const secrets = new PasswordSecrets({
    clients: {} as KubeClients,
    namespace: 'lb',
    logger: pino({ level: 'silent' }),
    onChange: () => {
      changes++;
    },
    sourceFor: (spec) => {
      let synced = false;
      let resolve = (): void => undefined;
      const fake: Fake = {
        spec,
        stopped: false,
        start: () =>
          new Promise<void>((r) => {
            resolve = r;
          }),
        stop: () => {
          fake.stopped = true;
          return Promise.resolve();
        },
        hasSynced: () => synced,
        list: () => (synced ? [{ metadata: { name: spec.name }, values: { password: 'pw' } }] : []),
        finishStart: (listed) => {
          synced = listed;
          resolve();
        },
      };
      sources.push(fake);
      return fake;
    },
  });
  secrets.start(new AbortController().signal);
  return { secrets, sources, changes: () => changes };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('PasswordSecrets', () => {
  it('watches each wanted Secret once, loading until its first read ends, then asks for a re-plan', async () => {
    const t = setup();
    t.secrets.sync(new Map([['a', new Set(['password'])]]));
    t.secrets.sync(new Map([['a', new Set(['password'])]]));
    expect(t.sources.map((s) => [s.spec.namespace, s.spec.name, s.spec.keys])).toEqual([
      ['lb', 'a', ['password']],
    ]);
    expect(t.secrets.loading()).toBe(true);
    expect(t.secrets.state('a')).toEqual({ kind: 'loading' });
    t.sources[0]?.finishStart(true);
    await tick();
    expect(t.changes()).toBe(1);
    expect(t.secrets.loading()).toBe(false);
    expect(t.secrets.state('a')).toEqual({ kind: 'present', values: { password: 'pw' } });
    expect(t.secrets.state('b')).toEqual({ kind: 'loading' });
  });

  it('a first read that failed is unreadable; a Secret not in the cache is absent', async () => {
    const t = setup();
    t.secrets.sync(new Map([['a', new Set(['password'])]]));
    t.sources[0]?.finishStart(false);
    await tick();
    expect(t.secrets.state('a')).toEqual({ kind: 'unreadable' });
    t.secrets.sync(new Map([['zzz', new Set(['password'])]]));
    const fake = t.sources[1];
    if (fake) fake.list = () => [];
    fake?.finishStart(true);
    await tick();
    expect(t.secrets.state('zzz')).toEqual({ kind: 'absent' });
  });

  it('stops watches no longer wanted and replaces one whose keys changed', async () => {
    const t = setup();
    t.secrets.sync(
      new Map([
        ['a', new Set(['password'])],
        ['b', new Set(['password'])],
      ]),
    );
    t.secrets.sync(new Map([['a', new Set(['password', 'other'])]]));
    expect(t.sources.map((s) => [s.spec.name, s.spec.keys.join(','), s.stopped])).toEqual([
      ['a', 'password', true],
      ['b', 'password', true],
      ['a', 'other,password', false],
    ]);
    // The replaced watch ending its first read does not re-plan; the current one does.
    t.sources[0]?.finishStart(true);
    await tick();
    expect(t.changes()).toBe(0);
    t.sources[2]?.finishStart(true);
    await tick();
    expect(t.changes()).toBe(1);
    await t.secrets.stop();
    expect(t.sources[2]?.stopped).toBe(true);
  });
});

describe('slimSecret', () => {
  it('keeps the identity and the decoded values of the named keys only', () => {
    const secret = {
      metadata: { name: 's', namespace: 'lb', uid: 'u', resourceVersion: '7', labels: { a: 'b' } },
      type: 'Opaque',
      data: {
        password: Buffer.from('pw!').toString('base64'),
        other: Buffer.from('x').toString('base64'),
      },
    };
    expect(slimSecret(secret, ['password', 'missing'])).toEqual({
      metadata: { name: 's', namespace: 'lb', uid: 'u', resourceVersion: '7' },
      values: { password: 'pw!' },
    });
  });
});
