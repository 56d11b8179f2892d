import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { installCrashHandlers } from './crash.js';
import { createLogger } from './logger.js';

function harness(): {
  target: EventEmitter & { exit: (code: number) => void };
  exits: number[];
  lines: () => Record<string, unknown>[];
  uninstall: () => void;
} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const exits: number[] = [];
  const target = Object.assign(new EventEmitter(), { exit: (code: number) => void exits.push(code) });
  const logger = createLogger({ name: 'crash-test', destination: stream });
  const uninstall = installCrashHandlers({ logger, target });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { target, exits, lines, uninstall };
}

describe('installCrashHandlers', () => {
  it('logs an uncaught exception at fatal level with its stack and exits 1', () => {
    const h = harness();
    h.target.emit('uncaughtException', new Error('boom'), 'uncaughtException');
    expect(h.exits).toEqual([1]);
    const [line] = h.lines();
    expect(line).toMatchObject({
      level: 'fatal',
      kind: 'uncaughtException',
      msg: 'uncaughtException: exiting',
    });
    const err = line?.err as { message: string; stack: string };
    expect(err.message).toBe('boom');
    expect(err.stack).toContain('crash.test.ts');
  });

  it('logs an unhandled rejection, also when the reason is not an Error', () => {
    const h = harness();
    h.target.emit('unhandledRejection', { code: 42 });
    expect(h.exits).toEqual([1]);
    expect(h.lines()[0]).toMatchObject({
      level: 'fatal',
      kind: 'unhandledRejection',
      reason: '{ code: 42 }',
    });
  });

  it('exits once: a second error while exiting is neither logged nor re-exits', () => {
    const h = harness();
    h.target.emit('unhandledRejection', new Error('first'));
    h.target.emit('uncaughtException', new Error('second'));
    expect(h.exits).toEqual([1]);
    expect(h.lines()).toHaveLength(1);
  });

  it('exits even when logging throws', () => {
    const exits: number[] = [];
    const target = Object.assign(new EventEmitter(), { exit: (code: number) => void exits.push(code) });
    const broken = createLogger({
      name: 'x',
      destination: new Writable({
        write() {
          throw new Error('disk gone');
        },
      }),
    });
    installCrashHandlers({ logger: broken, target, exitCode: 3 });
    expect(() => target.emit('uncaughtException', new Error('boom'))).toThrow('disk gone');
    expect(exits).toEqual([3]);
  });

  it('uninstalls', () => {
    const h = harness();
    h.uninstall();
    expect(h.target.listenerCount('uncaughtException')).toBe(0);
    expect(h.target.listenerCount('unhandledRejection')).toBe(0);
  });
});

/** Runs a module in a real Node process with the real pino destination; returns its exit code and stdout. */
async function runChild(body: string): Promise<{ code: number | null; stdout: string }> {
  const url = (f: string): string => JSON.stringify(new URL(f, import.meta.url).href);
  const script = [
    `import { createLogger } from ${url('./logger.ts')};`,
    `import { installCrashHandlers } from ${url('./crash.ts')};`,
    `installCrashHandlers({ logger: createLogger({ name: 'crash-child' }) });`,
    // Keeps the event loop alive: only the crash handler can end this process.
    'setInterval(() => {}, 1000);',
    body,
  ].join('\n');
  const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout };
}

describe('installCrashHandlers in a real process', () => {
  it('a throw from a timer: fatal JSON line with the stack on stdout, exit code 1', async () => {
    const r = await runChild(`setTimeout(() => { throw new Error('thrown from a timer'); }, 10);`);
    expect(r.code).toBe(1);
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'fatal', name: 'crash-child', kind: 'uncaughtException' });
    expect((line.err as { stack: string }).stack).toMatch(/thrown from a timer\n\s+at /);
  });

  it('an unhandled rejection: fatal JSON line, exit code 1', async () => {
    const r = await runChild(`void Promise.reject(new Error('nobody awaits me'));`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('"kind":"unhandledRejection"');
    expect(r.stdout).toContain('nobody awaits me');
  });
});
