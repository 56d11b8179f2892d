import { describe, expect, it } from 'vitest';
import { receiveBufferShort, shortReceiveBufferMessage } from './receive-buffer.js';

describe('receive buffer check', () => {
  it('a full grant (forced, or rmem_max at least the request) is not short', () => {
    expect(receiveBufferShort({ effectiveBytes: 8_388_608, requestedBytes: 4_194_304, forced: true })).toBe(
      false,
    );
    expect(receiveBufferShort({ effectiveBytes: 8_388_608, requestedBytes: 4_194_304, forced: false })).toBe(
      false,
    );
  });

  it('a grant capped by the default rmem_max is short, and the warning names the sysctl and the value', () => {
    const capped = { effectiveBytes: 425_984, requestedBytes: 4_194_304, forced: false };
    expect(receiveBufferShort(capped)).toBe(true);
    const message = shortReceiveBufferMessage(capped);
    expect(message).toContain('425984 bytes');
    expect(message).toContain('below the 8388608');
    expect(message).toContain('sysctl -w net.core.rmem_max=4194304');
  });
});
