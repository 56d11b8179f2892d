import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { attemptWrite, writeFailure } from './write-failure.js';

const apiError = (code: number, message: string): ApiException<string> =>
  new ApiException(code, `HTTP-Code: ${code}`, JSON.stringify({ kind: 'Status', code, message }), {
    authorization: 'Bearer secret',
  });

describe('writeFailure', () => {
  it('maps 409 to conflict, 404 to not-found, other statuses to error, keeping the server message', () => {
    expect(writeFailure(apiError(409, 'the object has been modified'))).toEqual({
      kind: 'conflict',
      code: 409,
      message: 'HTTP 409: the object has been modified',
    });
    expect(writeFailure(apiError(404, 'services "web" not found'))).toEqual({
      kind: 'not-found',
      code: 404,
      message: 'HTTP 404: services "web" not found',
    });
    expect(writeFailure(apiError(503, 'unavailable'))).toEqual({
      kind: 'error',
      code: 503,
      message: 'HTTP 503: unavailable',
    });
    expect(writeFailure(apiError(403, 'forbidden')).kind).toBe('error');
  });

  it('maps a network failure (no HTTP status) to error without a code and never leaks headers', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(writeFailure(refused)).toEqual({ kind: 'error', code: undefined, message: 'fetch failed' });
    expect(JSON.stringify(writeFailure(apiError(500, 'x')))).not.toContain('secret');
  });
});

describe('attemptWrite', () => {
  it('returns the value of a write that succeeds and the mapped failure of one that throws', async () => {
    expect(await attemptWrite(() => Promise.resolve(7))).toEqual({ ok: true, value: 7 });
    expect(await attemptWrite(() => Promise.reject(apiError(409, 'moved')))).toEqual({
      ok: false,
      error: { kind: 'conflict', code: 409, message: 'HTTP 409: moved' },
    });
  });
});
