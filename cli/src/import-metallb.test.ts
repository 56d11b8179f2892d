import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_UNTRANSLATABLE, EXIT_USAGE, importMetallb, type CommandIo } from './import-metallb.js';

const POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: first-pool, namespace: metallb-system }
spec: { addresses: [192.168.10.0/24] }
`;
const PEER = `apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: peer, namespace: metallb-system }
spec: { myASN: 64500, dynamicASN: external, peerAddress: 10.0.0.1 }
`;

function fakeIo(files: Record<string, string>): CommandIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    read: (path: string): Promise<string> => {
      const text = files[path];
      return text === undefined ? Promise.reject(new Error('ENOENT')) : Promise.resolve(text);
    },
    stdout: (s: string): void => {
      io.out += s;
    },
    stderr: (s: string): void => {
      io.err += s;
    },
  };
  return io;
}

const kinds = (yamlText: string): unknown[] =>
  parseAllDocuments(yamlText)
    .map((d) => d.toJS() as { kind?: string } | null)
    .filter((x) => x !== null)
    .map((x) => x.kind);

describe('importMetallb', () => {
  it('exits 0 and prints the objects of several files and stdin', async () => {
    const io = fakeIo({
      'a.yaml': POOL,
      '-': '{ apiVersion: metallb.io/v1beta1, kind: L2Advertisement, metadata: { name: l2 } }',
    });
    expect(await importMetallb({ files: ['a.yaml', '-'], io })).toBe(EXIT_OK);
    expect(kinds(io.out)).toEqual(['IPPool', 'L2Announcement']);
    expect(io.out).toMatch(/^# ironlb configuration translated from MetalLB/u);
    expect(io.out).toContain('# From <stdin>#1 L2Advertisement l2.\n');
    expect(io.err).toBe('');
  });

  it('exits 1 with the error on stderr and still prints what it could translate', async () => {
    const io = fakeIo({ 'a.yaml': `${POOL}---\n${PEER}` });
    expect(await importMetallb({ files: ['a.yaml'], io })).toBe(EXIT_UNTRANSLATABLE);
    expect(kinds(io.out)).toEqual(['IPPool']);
    expect(io.err).toBe(
      'error: a.yaml#2 BGPPeer metallb-system/peer: spec.dynamicASN: not translatable: ironlb needs a fixed peerASN (no internal/external detection)\n' +
        'error: a.yaml#2 BGPPeer metallb-system/peer: ironlb would refuse it: spec.peerASN: Required value\n',
    );
  });

  it('exits 2 on invalid YAML or an unreadable file and prints nothing on stdout', async () => {
    const bad = fakeIo({ 'a.yaml': POOL, 'b.yaml': 'a: [1, 2\n' });
    expect(await importMetallb({ files: ['a.yaml', 'b.yaml'], io: bad })).toBe(EXIT_USAGE);
    expect(bad.out).toBe('');
    expect(bad.err).toMatch(/^error: b\.yaml: invalid YAML in document 1: /u);
    const missing = fakeIo({});
    expect(await importMetallb({ files: ['nope.yaml'], io: missing })).toBe(EXIT_USAGE);
    expect(missing.err).toBe('error: cannot read nope.yaml: ENOENT\n');
  });

  it('warns when the input holds nothing', async () => {
    const io = fakeIo({ '-': '' });
    expect(await importMetallb({ files: ['-'], io })).toBe(EXIT_OK);
    expect(io.err).toBe('warning: no MetalLB objects in the input\n');
  });
});

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const run = promisify(execFile);

// The run contract is the build (cli/dist); `pnpm test` builds first. Without a build this is skipped.
describe.skipIf(!existsSync(main))('ironlb binary (cli/dist/main.js)', () => {
  it('import-metallb --help prints the usage and exits 0', async () => {
    const { stdout } = await run(process.execPath, [main, 'import-metallb', '--help']);
    expect(stdout).toContain('Usage: ironlb import-metallb');
  });

  it('an unknown command exits 2', async () => {
    await expect(run(process.execPath, [main, 'frobnicate'])).rejects.toMatchObject({ code: 2 });
  });
});
