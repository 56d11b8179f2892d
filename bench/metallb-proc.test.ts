import { describe, expect, it } from 'vitest';
import { cpuSecondsBetween, statCpuTicks, statusKiB } from './metallb-proc.js';

// Shortened /proc/<pid>/status of a Go process.
const STATUS = [
  'Name:\tcontroller',
  'State:\tS (sleeping)',
  'VmPeak:\t 1290348 kB',
  'VmHWM:\t   87012 kB',
  'VmRSS:\t   65536 kB',
  'RssAnon:\t   40960 kB',
  'Threads:\t12',
].join('\n');

describe('statusKiB', () => {
  it('reads VmRSS and VmHWM in KiB', () => {
    expect(statusKiB(STATUS, 'VmRSS')).toBe(65536);
    expect(statusKiB(STATUS, 'VmHWM')).toBe(87012);
  });

  it('does not take VmRSS from a longer field name or a field without kB', () => {
    expect(statusKiB('XVmRSS:\t 5 kB\nThreads:\t12', 'VmRSS')).toBeUndefined();
    expect(statusKiB(STATUS, 'Threads')).toBeUndefined();
  });

  it('gives undefined for a missing field (a zombie has no VmRSS)', () => {
    expect(statusKiB('Name:\tx\nState:\tZ (zombie)', 'VmRSS')).toBeUndefined();
  });

  it('rejects a field name that would be a regular expression', () => {
    expect(() => statusKiB(STATUS, 'Vm.*')).toThrow(RangeError);
  });
});

describe('statCpuTicks', () => {
  it('reads utime and stime (fields 14 and 15)', () => {
    const stat =
      '4242 (node) S 1 4242 4242 0 -1 4194560 5000 0 12 0 731 129 0 0 20 0 11 0 9000 1000000 20000';
    expect(statCpuTicks(stat)).toEqual({ utime: 731, stime: 129 });
  });

  it('counts fields from the last parenthesis when the command name has spaces and parentheses', () => {
    const stat = '77 (a) b (c) R 1 77 77 0 -1 0 0 0 0 0 15 4 0 0 20 0 1 0 1 1 1';
    expect(statCpuTicks(stat)).toEqual({ utime: 15, stime: 4 });
  });

  it('gives undefined for truncated or malformed text', () => {
    expect(statCpuTicks('77 (x) S 1 2 3')).toBeUndefined();
    expect(statCpuTicks('no parenthesis here')).toBeUndefined();
    expect(statCpuTicks('1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 4 0')).toBeUndefined();
  });
});

describe('cpuSecondsBetween', () => {
  it('adds user and system time and divides by the tick rate', () => {
    expect(cpuSecondsBetween({ utime: 100, stime: 50 }, { utime: 300, stime: 100 }, 100)).toBe(2.5);
  });

  it('rejects a tick rate that is not positive', () => {
    expect(() => cpuSecondsBetween({ utime: 0, stime: 0 }, { utime: 1, stime: 1 }, 0)).toThrow(RangeError);
  });
});
