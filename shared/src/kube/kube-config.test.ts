import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials } from './credentials.js';
import { loadKubeAccess } from './kube-config.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const tempDir = (): string => (dir = mkdtempSync(join(tmpdir(), 'ilb-kubeconfig-')));

const config = (cluster: string, user: string): string =>
  [
    'apiVersion: v1',
    'kind: Config',
    'current-context: c',
    'contexts:',
    '- name: other',
    '  context: { cluster: nope, user: nope }',
    '- name: c',
    '  context: { cluster: k, user: u }',
    'clusters:',
    '- name: k',
    '  cluster:',
    ...cluster.split('\n').map((l) => `    ${l}`),
    'users:',
    '- name: u',
    '  user:',
    ...user.split('\n').map((l) => `    ${l}`),
    '',
  ].join('\n');

describe('loadKubeAccess', () => {
  it('inline YAML: current context, server without trailing slash, CA data, bearer token', async () => {
    const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nx\n').toString('base64');
    const got = await loadKubeAccess({
      kubeconfigYaml: config(
        `server: https://10.0.0.1:6443/\ncertificate-authority-data: ${ca}`,
        'token: abc',
      ),
    });
    expect(got).toEqual({
      ok: true,
      value: {
        server: 'https://10.0.0.1:6443',
        tls: { rejectUnauthorized: true, ca: Buffer.from(ca, 'base64') },
        auth: { kind: 'token', token: 'abc' },
      },
    });
  });

  it('file: relative file references resolve against its directory; skip-verify, server name, client cert', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'ca.crt'), 'CA');
    writeFileSync(join(d, 'client.crt'), 'CERT');
    writeFileSync(join(d, 'client.key'), 'KEY');
    writeFileSync(
      join(d, 'kubeconfig'),
      config(
        'server: https://api.example:6443\ncertificate-authority: ca.crt\ninsecure-skip-tls-verify: true\ntls-server-name: kubernetes',
        'client-certificate: client.crt\nclient-key: client.key\ntokenFile: token',
      ),
    );
    const got = await loadKubeAccess({ kubeconfigPath: join(d, 'kubeconfig') });
    expect(got).toEqual({
      ok: true,
      value: {
        server: 'https://api.example:6443',
        tls: {
          rejectUnauthorized: false,
          ca: Buffer.from('CA'),
          cert: Buffer.from('CERT'),
          key: Buffer.from('KEY'),
          servername: 'kubernetes',
        },
        auth: { kind: 'token-file', path: join(d, 'token') },
      },
    });
  });

  it('refuses credential plugins, proxies and broken configs with a clear error value', async () => {
    const error = async (yaml: string): Promise<string> => {
      const got = await loadKubeAccess({ kubeconfigYaml: yaml });
      return got.ok ? 'loaded' : got.error;
    };
    const server = 'server: https://h:6443';
    expect(
      await error(config(server, 'exec: { command: aws, apiVersion: client.authentication.k8s.io/v1 }')),
    ).toBe('exec credential plugins (users[].user.exec) are not supported');
    expect(await error(config(server, 'auth-provider: { name: gcp }'))).toBe(
      'auth-provider plugins (users[].user.auth-provider) are not supported',
    );
    expect(await error(config(`${server}\nproxy-url: http://p:3128`, 'token: t'))).toBe(
      'cluster "k": proxy-url is not supported',
    );
    expect(await error(config('server: h:6443', 'token: t'))).toBe(
      'cluster "k": server "h:6443" is not an http(s) URL',
    );
    expect(await error(config(server, 'token: t').replace('current-context: c', 'current-context: x'))).toBe(
      'kubeconfig has no context "x"',
    );
    expect(await error(config(`${server}\ncertificate-authority: /nonexistent/ca`, 'token: t'))).toContain(
      '/nonexistent/ca',
    );
    expect(await error('clusters: [')).toMatch(/^kubeconfig is not valid YAML/u);
    const missing = await loadKubeAccess({ kubeconfigPath: '/nonexistent/kubeconfig' });
    expect(!missing.ok && missing.error).toMatch(/^cannot read kubeconfig: .*\/nonexistent\/kubeconfig/u);
  });

  it('in-cluster: service host/port as passed in (IPv6 bracketed), service-account token file and CA', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'token'), 'sa-token\n');
    writeFileSync(join(d, 'ca.crt'), 'CA');
    const files = { tokenPath: join(d, 'token'), caPath: join(d, 'ca.crt') };
    const got = await loadKubeAccess({ inCluster: { host: 'fd00::1', port: '443', ...files } });
    expect(got).toEqual({
      ok: true,
      value: {
        server: 'https://[fd00::1]:443',
        tls: { ca: Buffer.from('CA'), rejectUnauthorized: true },
        auth: { kind: 'token-file', path: files.tokenPath },
      },
    });
    const outside = await loadKubeAccess({ inCluster: { host: undefined, port: undefined, ...files } });
    expect(!outside.ok && outside.error).toContain('KUBERNETES_SERVICE_HOST');
    const noToken = await loadKubeAccess({
      inCluster: { host: '10.0.0.1', port: '443', tokenPath: join(d, 'x') },
    });
    expect(!noToken.ok && noToken.error).toMatch(/^in-cluster config: .*no such file/u);
  });
});

describe('Credentials', () => {
  it('re-reads a rotating token file once per refresh period, keeps the last token if a read fails', async () => {
    const d = tempDir();
    const path = join(d, 'token');
    writeFileSync(path, 'one\n');
    let now = 0;
    const creds = new Credentials({ auth: { kind: 'token-file', path }, refreshMs: 60_000, now: () => now });
    expect(await creds.header()).toBe('Bearer one');
    writeFileSync(path, 'two\n');
    now = 59_999;
    expect(await creds.header()).toBe('Bearer one');
    now = 60_000;
    expect(await creds.header()).toBe('Bearer two');
    rmSync(path);
    now = 200_000;
    expect(await creds.header()).toBe('Bearer two');
    await expect(
      new Credentials({ auth: { kind: 'token-file', path: join(d, 'none') } }).header(),
    ).rejects.toThrow(/no such file/u);
    expect(await new Credentials({ auth: { kind: 'basic', username: 'a', password: 'b' } }).header()).toBe(
      `Basic ${Buffer.from('a:b').toString('base64')}`,
    );
    expect(await new Credentials({ auth: { kind: 'none' } }).header()).toBeUndefined();
  });
});
