/* eslint-disable @typescript-eslint/require-await -- fakes keep the async signatures of the APIs they stand in for. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KubeApiError } from './api-error.js';
import { type EventsApi, EventRecorder } from './event-recorder.js';
import type { KubeEvent } from './wire.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const svc = { kind: 'Service', apiVersion: 'v1', namespace: 'shop', name: 'web', uid: 'u-1' };

interface Call {
  op: 'create' | 'patch';
  name: string;
  wire: Record<string, unknown>;
}

/** Records calls as the wire JSON the client would send. */
function fakeEvents(behaviour: { fail?: number; hang?: boolean } = {}): EventsApi & { calls: Call[] } {
  const calls: Call[] = [];
  let n = 0;
  const maybeFail = async (): Promise<void> => {
    if (behaviour.hang === true) await new Promise(() => undefined);
    if (behaviour.fail !== undefined)
      throw new KubeApiError(behaviour.fail, '{"message":"nope"}', 'POST events');
  };
  return {
    calls,
    createNamespacedEvent: async ({ body }) => {
      await maybeFail();
      n += 1;
      const wire = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
      calls.push({ op: 'create', name: `ev${n}`, wire });
      return { metadata: { name: `ev${n}` } } as KubeEvent;
    },
    patchNamespacedEvent: async ({ name, body }) => {
      await maybeFail();
      calls.push({ op: 'patch', name, wire: JSON.parse(JSON.stringify(body)) as Record<string, unknown> });
      return {} as KubeEvent;
    },
  };
}

function recorder(
  events: EventsApi,
  extra: Partial<ConstructorParameters<typeof EventRecorder>[0]> = {},
): EventRecorder {
  return new EventRecorder({
    events,
    reportingController: 'ironlb.io/controller',
    reportingInstance: 'controller-0',
    ...extra,
  });
}

describe('EventRecorder', () => {
  it('creates an events.k8s.io/v1 Event with MicroTime eventTime and reporting fields', async () => {
    const api = fakeEvents();
    const r = recorder(api);
    r.start();
    r.emit({
      regarding: svc,
      type: 'Normal',
      reason: 'IPAllocated',
      note: 'Assigned 192.0.2.10',
      action: 'Allocate',
    });
    await r.stop();
    expect(api.calls).toHaveLength(1);
    const wire = api.calls[0]!.wire;
    expect(wire).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'shop' },
      regarding: svc,
      type: 'Normal',
      reason: 'IPAllocated',
      action: 'Allocate',
      note: 'Assigned 192.0.2.10',
      reportingController: 'ironlb.io/controller',
      reportingInstance: 'controller-0',
    });
    expect(wire.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(wire.series).toBeUndefined();
  });

  it('turns identical repeats into one Event with an updated series', async () => {
    const api = fakeEvents();
    const r = recorder(api);
    r.start();
    const ev = { regarding: svc, type: 'Warning', reason: 'NoPool', note: 'no pool matches' } as const;
    r.emit(ev); // create goes in flight
    r.emit(ev); // queues a series update
    r.emit(ev); // only bump the queued update's count
    await vi.advanceTimersByTimeAsync(1000);
    r.emit(ev);
    await r.stop();
    expect(api.calls.map((c) => c.op)).toEqual(['create', 'patch', 'patch']);
    expect((api.calls[1]!.wire as { series: { count: number } }).series.count).toBe(3);
    expect(api.calls.every((c) => c.op === 'create' || c.name === 'ev1')).toBe(true);
    const last = api.calls.at(-1)!.wire as { series: { count: number; lastObservedTime: string } };
    expect(last.series.count).toBe(4);
    expect(last.series.lastObservedTime).toMatch(/\.\d{6}Z$/);
  });

  it('a different note, or a repeat after the window, starts a new Event', async () => {
    const api = fakeEvents();
    const r = recorder(api, { dedupWindowMs: 60_000 });
    r.start();
    r.emit({ regarding: svc, type: 'Normal', reason: 'R', note: 'a' });
    r.emit({ regarding: svc, type: 'Normal', reason: 'R', note: 'b' });
    await vi.advanceTimersByTimeAsync(61_000);
    r.emit({ regarding: svc, type: 'Normal', reason: 'R', note: 'a' });
    await r.stop();
    expect(api.calls.map((c) => c.op)).toEqual(['create', 'create', 'create']);
  });

  it('recreates the Event when the series patch finds it gone (404)', async () => {
    const api = fakeEvents();
    const r = recorder(api);
    r.start();
    const ev = { regarding: svc, type: 'Normal', reason: 'R', note: 'x' } as const;
    r.emit(ev);
    await r.stop();
    api.patchNamespacedEvent = async () => {
      throw new KubeApiError(404, '{}', 'PATCH events');
    };
    r.start();
    r.emit(ev);
    await r.stop();
    expect(api.calls.map((c) => c.op)).toEqual(['create', 'create']);
    expect(api.calls[1]!.wire.series).toMatchObject({ count: 2 });
    // The written entry dropped its input; the repeat brought it back for the re-create.
    expect(api.calls[1]!.wire).toMatchObject({ note: 'x', reason: 'R', regarding: svc, type: 'Normal' });
  });

  it('a repeat while the create is in flight keeps the input for its own write (re-create after 404)', async () => {
    const api = fakeEvents();
    const patch404 = async (): Promise<KubeEvent> => {
      throw new KubeApiError(404, '{}', 'PATCH events');
    };
    api.patchNamespacedEvent = patch404;
    const r = recorder(api);
    r.start();
    const ev = { regarding: svc, type: 'Warning', reason: 'NoPool', note: 'no pool matches' } as const;
    r.emit(ev); // create goes in flight
    r.emit(ev); // queued meanwhile: its series patch meets 404 and re-creates
    await r.stop();
    expect(api.calls.map((c) => c.op)).toEqual(['create', 'create']);
    expect(api.calls[1]!.wire).toMatchObject({
      note: 'no pool matches',
      reason: 'NoPool',
      series: { count: 2 },
    });
  });

  it('rate-limits distinct events per object, not across objects', async () => {
    const api = fakeEvents();
    const r = recorder(api, { burst: 5 });
    r.start();
    for (let i = 0; i < 8; i++) r.emit({ regarding: svc, type: 'Normal', reason: `R${i}`, note: 'n' });
    r.emit({ regarding: { ...svc, name: 'other', uid: 'u-2' }, type: 'Normal', reason: 'R', note: 'n' });
    await r.stop();
    expect(api.calls).toHaveLength(6);
    expect(r.dropped()).toBe(3);
  });

  it('never blocks or throws: bounded queue while the API hangs, errors only logged', async () => {
    const hanging = recorder(fakeEvents({ hang: true }), { maxQueue: 3, burst: 100 });
    hanging.start();
    for (let i = 0; i < 10; i++) hanging.emit({ regarding: svc, type: 'Normal', reason: `R${i}`, note: 'n' });
    // first entry is in flight (dequeued), 3 wait, the rest are dropped
    expect(hanging.dropped()).toBe(6);

    const warnings: unknown[] = [];
    const failing = recorder(fakeEvents({ fail: 403 }), {
      logger: {
        warn: (o: unknown) => {
          warnings.push(o);
        },
        debug: () => undefined,
      },
    });
    failing.start();
    expect(() => {
      failing.emit({ regarding: svc, type: 'Warning', reason: 'R', note: 'n' });
    }).not.toThrow();
    await failing.stop();
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0])).toContain('HTTP 403');
  });

  it('stop() gives up on a hanging API server at the flush deadline, counting and logging what was left', async () => {
    const warnings: unknown[] = [];
    const r = recorder(fakeEvents({ hang: true }), {
      burst: 100,
      flushDeadlineMs: 2_000,
      logger: {
        warn: (o: unknown) => {
          warnings.push(o);
        },
        debug: () => undefined,
      },
    });
    r.start();
    for (let i = 0; i < 4; i++) r.emit({ regarding: svc, type: 'Normal', reason: `R${i}`, note: 'n' });
    let stopped = false;
    const stopping = r.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(stopped).toBe(true);
    // one write in flight + three queued
    expect(r.dropped()).toBe(4);
    expect(warnings).toEqual([{ abandoned: 4, deadlineMs: 2_000 }]);
  });
});
