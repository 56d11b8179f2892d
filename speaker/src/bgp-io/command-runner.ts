import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit code; null when the process was killed (timeout) or could not start. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell (argv[0] is the program); never rejects: failures are in the result. */
export type CommandRunner = (
  argv: readonly string[],
  options: { timeoutMs: number },
) => Promise<CommandResult>;

export const execRunner: CommandRunner = (argv, { timeoutMs }) =>
  new Promise((resolve) => {
    const [file = '', ...args] = argv;
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      const text = error !== null && code === null ? `${stderr}${error.message}` : stderr;
      resolve({ code, stdout, stderr: text });
    });
  });
