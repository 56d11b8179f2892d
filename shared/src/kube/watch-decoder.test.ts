import { describe, expect, it } from 'vitest';
import { WatchDecodeError, WatchDecoder, type WatchEvent } from './watch-decoder.js';

const events: WatchEvent[] = [
  { type: 'ADDED', object: { metadata: { name: 'ä-1', resourceVersion: '1' } } },
  { type: 'BOOKMARK', object: { metadata: { resourceVersion: '2' } } },
  { type: 'MODIFIED', object: { metadata: { name: 'b', resourceVersion: '3' } } },
  { type: 'ERROR', object: { code: 410, message: 'too old resource version' } },
];
const wire = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));

describe('WatchDecoder', () => {
  it('yields the same events whatever the chunk boundaries (inside lines and UTF-8 characters)', () => {
    for (let size = 1; size <= wire.length; size += 1) {
      const d = new WatchDecoder();
      const out: WatchEvent[] = [];
      for (let at = 0; at < wire.length; at += size) out.push(...d.push(wire.subarray(at, at + size)));
      out.push(...d.end());
      expect(out, `chunks of ${size} bytes`).toEqual(events);
    }
  });

  it('returns an event only once its line is complete; a last line without newline comes at end()', () => {
    const d = new WatchDecoder();
    const line = JSON.stringify(events[0]);
    expect(d.push(Buffer.from(line))).toEqual([]);
    expect(d.push(Buffer.from('\n\n'))).toEqual([events[0]]);
    expect(d.push(Buffer.from(JSON.stringify(events[1])))).toEqual([]);
    expect(d.end()).toEqual([events[1]]);
  });

  it('rejects a line that is not a watch event', () => {
    expect(() => new WatchDecoder().push(Buffer.from('{"type":"ADDED"\n'))).toThrow(WatchDecodeError);
    expect(() => new WatchDecoder().push(Buffer.from('{"type":"HELLO","object":{}}\n'))).toThrow(
      WatchDecodeError,
    );
    expect(() => new WatchDecoder().push(Buffer.from('{"type":"ADDED","object":null}\n'))).toThrow(
      WatchDecodeError,
    );
  });
});
