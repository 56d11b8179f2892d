import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { componentLogger, createLogger } from './logger.js';

function memory(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with label level, ISO time, name, base and component fields', () => {
    const m = memory();
    const log = createLogger({
      name: 'ironlb-speaker',
      level: 'debug',
      base: { node: 'n1' },
      destination: m.stream,
    });
    componentLogger(log, 'l2').debug({ ip: '192.0.2.1' }, 'announcing');
    const [line] = m.lines();
    expect(line).toMatchObject({
      level: 'debug',
      name: 'ironlb-speaker',
      node: 'n1',
      component: 'l2',
      ip: '192.0.2.1',
      msg: 'announcing',
    });
    expect(String(line?.time)).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
  });

  it('drops lines below the configured level and serialises errors', () => {
    const m = memory();
    const log = createLogger({ name: 'x', level: 'warn', destination: m.stream });
    log.info('hidden');
    log.error({ err: new Error('boom') }, 'failed');
    const lines = m.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'failed',
      err: { message: 'boom', type: 'Error' },
    });
    expect((lines[0]?.err as { stack: string }).stack).toContain('boom');
  });
});
