import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

/**
 * Preloaded into the binary: a module hook (node:module registerHooks sees every `import` and `require`)
 * that records each URL it loads and prints the list at exit.
 */
const RECORDER = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
process.on('exit', () => { process.stderr.write('\\nLOADED ' + JSON.stringify(loaded) + '\\n'); });
`)}`;

/** Every module URL the built binary loads when it starts (`--help`: its whole static import graph, then exit). */
async function loadedBy(main: string): Promise<string[]> {
  const result = await run(process.execPath, ['--import', RECORDER, `${ROOT}${main}`, '--help'], {
    env: { PATH: process.env.PATH ?? '', NODE_NAME: 'graph-test' },
  }).catch((e: unknown) => e as { stdout: string; stderr: string });
  const line = result.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (line === undefined) throw new Error(`no module list from ${main}: ${result.stderr}`);
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

describe('the built binaries do not load @kubernetes/client-node (issue 11: 17 MiB of code, +83 MiB RSS)', () => {
  it.each([
    ['controller/dist/main.js', '/shared/dist/kube/informer.js'],
    ['speaker/dist/main.js', '/shared/dist/kube/informer.js'],
    ['cli/dist/main.js', '/cli/dist/import-metallb.js'],
  ])('%s', async (main, ownModule) => {
    const loaded = await loadedBy(main);
    // The recorder sees the graph: the binary's own Kubernetes toolkit (or command) is in it.
    expect(loaded.some((url) => url.endsWith(ownModule))).toBe(true);
    expect(loaded.filter((url) => /@kubernetes[+/]client-node/u.test(url))).toEqual([]);
  });
});
