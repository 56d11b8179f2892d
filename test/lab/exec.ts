import { execFile } from 'node:child_process';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number | string | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Runs a command to completion; rejects with CommandError (carrying stderr) on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' || typeof error.code === 'string' ? error.code : null;
          const detail = stderr.trim() || error.message;
          reject(new CommandError(`${command} ${args.join(' ')}: ${detail}`, code, stderr));
          return;
        }
        resolvePromise({ stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a command and resolves to whether it exited 0 (for existence probes). */
export async function succeeds(command: string, args: readonly string[]): Promise<boolean> {
  try {
    await run(command, args);
    return true;
  } catch (error) {
    if (error instanceof CommandError) return false;
    throw error;
  }
}

/** Runs `command` inside network namespace `netns` (via `ip netns exec`). */
export function runInNetns(
  netns: string,
  argv: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return run('ip', ['netns', 'exec', netns, ...argv], options);
}
