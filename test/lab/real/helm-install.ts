import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LabConfig } from '../config.js';
import { labPaths } from '../config.js';
import { readImages } from './real-node.js';

/**
 * `pnpm lab install` (real mode): ironlb installed the way README.md tells users, with the image built by
 * build-images.sh. The command is the README's, plus only the image settings (images are imported, never pulled):
 *
 *   helm install ironlb charts/ironlb -n ironlb-system --create-namespace \
 *     --set image.repository=<repo>,image.tag=<tag>,image.pullPolicy=Never
 */
export const RELEASE = 'ironlb';
export const RELEASE_NAMESPACE = 'ironlb-system';
/** Workloads the chart renders for release `ironlb` (its fullname prefix). */
export const ROLLOUTS = ['deployment/ironlb-controller', 'daemonset/ironlb-speaker'] as const;

export interface ImageSettings {
  readonly repository: string;
  readonly tag: string;
}

/** `localhost/ironlb:lab-1234` → repository `localhost/ironlb`, tag `lab-1234` (a registry port is not a tag). */
export function splitImageRef(ref: string): ImageSettings {
  const colon = ref.lastIndexOf(':');
  if (colon <= ref.lastIndexOf('/') || ref.includes('@')) {
    throw new Error(`lab: image reference ${ref} has no tag`);
  }
  return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

/** Arguments after `helm`, run from the repository root. */
export function helmInstallArgs(image: ImageSettings): string[] {
  return [
    'install',
    RELEASE,
    'charts/ironlb',
    '-n',
    RELEASE_NAMESPACE,
    '--create-namespace',
    '--set',
    `image.repository=${image.repository},image.tag=${image.tag},image.pullPolicy=Never`,
  ];
}

export interface InstallOptions {
  /** helm binary (scripts/toolchain.sh exports IRONLB_HELM). */
  readonly helm: string;
  /** Progress lines and the commands' own output. */
  readonly out: (line: string) => void;
  /** Rollout wait per workload (a loaded 2-core machine needs minutes for Node to start in pods). */
  readonly rolloutTimeoutSeconds: number;
}

export interface InstallReport {
  /** false: the release was already installed with this image. */
  readonly installed: boolean;
  readonly image: ImageSettings;
  readonly durationMs: number;
  /** `kubectl get pods -n ironlb-system` after the rollout. */
  readonly pods: string;
}

function capture(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) || 1 : 0, stdout, stderr });
    });
  });
}

/** Runs a command with its output streamed to `out`; rejects when it exits non-zero. */
function stream(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; out: (line: string) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: 'pipe' });
    let pending = '';
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.out(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending !== '') options.out(pending);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
    });
  });
}

/**
 * Installs ironlb with helm unless the release exists (then checks it runs the lab's current image), waits for the
 * controller Deployment and speaker DaemonSet to roll out, and returns `kubectl get pods -n ironlb-system`.
 */
export async function installIronlb(config: LabConfig, options: InstallOptions): Promise<InstallReport> {
  if (config.mode !== 'real') {
    throw new Error('lab install: needs real nodes (IRONLB_LAB_MODE=real); the stand-ins run no pods');
  }
  const t0 = performance.now();
  const ref = readImages(config.imagesIndex).get('ironlb')?.ref;
  if (ref === undefined)
    throw new Error('lab install: no ironlb image in the images index; run build-images.sh');
  const image = splitImageRef(ref);
  const env = { ...process.env, KUBECONFIG: labPaths(config).kubeconfig };
  const cwd = config.repoRoot;
  const kubectl = join(config.k8sBinDir, 'kubectl');
  const values = await capture(
    options.helm,
    ['get', 'values', RELEASE, '-n', RELEASE_NAMESPACE, '-o', 'json'],
    {
      env,
      cwd,
    },
  );
  let installed = false;
  if (values.code === 0) {
    const current = (JSON.parse(values.stdout || '{}') as { image?: Partial<ImageSettings> }).image;
    if (current?.repository !== image.repository || current.tag !== image.tag) {
      throw new Error(
        `lab install: release ${RELEASE} runs image ${current?.repository}:${current?.tag}, not ${ref}; ` +
          `remove it first (helm uninstall ${RELEASE} -n ${RELEASE_NAMESPACE}) or use a fresh lab`,
      );
    }
    options.out(`release ${RELEASE} already installed with ${ref}`);
  } else {
    const args = helmInstallArgs(image);
    options.out(`$ helm ${args.join(' ')}`);
    await stream(options.helm, args, { env, cwd, out: options.out });
    installed = true;
  }
  for (const workload of ROLLOUTS) {
    await stream(
      kubectl,
      ['rollout', 'status', workload, '-n', RELEASE_NAMESPACE, `--timeout=${options.rolloutTimeoutSeconds}s`],
      { env, cwd, out: options.out },
    );
  }
  const pods = await capture(kubectl, ['get', 'pods', '-n', RELEASE_NAMESPACE], { env, cwd });
  if (pods.code !== 0) throw new Error(`lab install: kubectl get pods failed: ${pods.stderr.trim()}`);
  return { installed, image, durationMs: Math.round(performance.now() - t0), pods: pods.stdout };
}
