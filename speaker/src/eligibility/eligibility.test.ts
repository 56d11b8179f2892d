import { describe, expect, it } from 'vitest';
import { EXCLUDE_FROM_LB_LABEL, eligibleNodes, explainNodes, whyNotEligible } from './eligibility.js';
import type { EligibilityInput, EndpointFacts, ServiceFacts } from './types.js';

const IP = '192.0.2.10';

function base(): EligibilityInput {
  return {
    ip: IP,
    node: { name: 'n1', labels: { zone: 'a' }, ready: true, networkUnavailable: false },
    speakerAlive: true,
    announcements: [{ name: 'l2-a', nodeSelector: true }],
    services: [{ namespace: 'default', name: 'web', externalTrafficPolicy: 'Cluster', endpoints: [] }],
  };
}

const local = (endpoints: EndpointFacts[], name = 'web'): ServiceFacts => ({
  namespace: 'default',
  name,
  externalTrafficPolicy: 'Local',
  endpoints,
});

type Patch = (i: EligibilityInput) => EligibilityInput;

describe('whyNotEligible', () => {
  const table: [string, Patch, string | null][] = [
    ['eligible with defaults', (i) => i, null],
    ['speaker dead', (i) => ({ ...i, speakerAlive: false }), 'SpeakerNotAlive'],
    ['no announcement', (i) => ({ ...i, announcements: [] }), 'NoL2Announcement'],
    [
      'selector false',
      (i) => ({ ...i, announcements: [{ name: 'l2-a', nodeSelector: false }] }),
      'NodeSelectorMismatch',
    ],
    [
      'matcher rejects labels',
      (i) => ({ ...i, announcements: [{ name: 'l2-b', nodeSelector: (l) => l.zone === 'b' }] }),
      'NodeSelectorMismatch',
    ],
    [
      'one of two announcements matches',
      (i) => ({
        ...i,
        announcements: [
          { name: 'l2-b', nodeSelector: (l) => l.zone === 'b' },
          { name: 'l2-a', nodeSelector: (l) => l.zone === 'a' },
        ],
      }),
      null,
    ],
    ['not ready', (i) => ({ ...i, node: { ...i.node, ready: false } }), 'NodeNotReady'],
    [
      'excluded (label present, even empty)',
      (i) => ({ ...i, node: { ...i.node, labels: { [EXCLUDE_FROM_LB_LABEL]: '' } } }),
      'NodeExcluded',
    ],
    [
      'network unavailable',
      (i) => ({ ...i, node: { ...i.node, networkUnavailable: true } }),
      'NetworkUnavailable',
    ],
    ['Local without endpoints', (i) => ({ ...i, services: [local([])] }), 'NoLocalEndpoints'],
    [
      'Local with an endpoint elsewhere only',
      (i) => ({ ...i, services: [local([{ nodeName: 'n2', ready: true }])] }),
      'NoLocalEndpoints',
    ],
    [
      'Local with a ready local endpoint',
      (i) => ({ ...i, services: [local([{ nodeName: 'n1', ready: true }])] }),
      null,
    ],
    [
      'Local, ready unknown (nil) counts as ready',
      (i) => ({ ...i, services: [local([{ nodeName: 'n1' }])] }),
      null,
    ],
    [
      'Local, local endpoint not ready',
      (i) => ({ ...i, services: [local([{ nodeName: 'n1', ready: false, serving: false }])] }),
      'NoLocalEndpoints',
    ],
    [
      'shared IP: Local without local endpoint + Cluster',
      (i) => ({ ...i, services: [local([]), { ...local([], 'api'), externalTrafficPolicy: 'Cluster' }] }),
      null,
    ],
    [
      'shared IP: two Local, second has the endpoint',
      (i) => ({ ...i, services: [local([]), local([{ nodeName: 'n1', ready: true }], 'api')] }),
      null,
    ],
  ];
  it.each(table)('%s', (_name, patch, reason) => {
    const verdict = whyNotEligible(patch(base()));
    expect(verdict?.reason ?? null).toBe(reason);
    if (verdict !== null)
      expect(verdict.message).toContain(verdict.reason === 'NoL2Announcement' ? IP : 'n1');
  });

  it('reports the first failing check in the documented order', () => {
    const everythingWrong: EligibilityInput = {
      ...base(),
      speakerAlive: false,
      announcements: [{ name: 'x', nodeSelector: false }],
      node: {
        name: 'n1',
        labels: { [EXCLUDE_FROM_LB_LABEL]: 'true' },
        ready: false,
        networkUnavailable: true,
      },
      services: [local([])],
    };
    const order: [Patch, string | null][] = [
      [(i) => i, 'SpeakerNotAlive'],
      [(i) => ({ ...i, speakerAlive: true, announcements: [] }), 'NoL2Announcement'],
      [(i) => ({ ...i, speakerAlive: true }), 'NodeSelectorMismatch'],
    ];
    for (const [patch, reason] of order) expect(whyNotEligible(patch(everythingWrong))?.reason).toBe(reason);
    let input: EligibilityInput = {
      ...everythingWrong,
      speakerAlive: true,
      announcements: base().announcements,
    };
    expect(whyNotEligible(input)?.reason).toBe('NodeNotReady');
    input = { ...input, node: { ...input.node, ready: true } };
    expect(whyNotEligible(input)?.reason).toBe('NodeExcluded');
    input = { ...input, node: { ...input.node, labels: {} } };
    expect(whyNotEligible(input)?.reason).toBe('NetworkUnavailable');
    input = { ...input, node: { ...input.node, networkUnavailable: false } };
    expect(whyNotEligible(input)?.reason).toBe('NoLocalEndpoints');
  });
});

describe('terminating endpoints (ETP Local)', () => {
  const terminating: EndpointFacts = { nodeName: 'n1', ready: false, serving: true, terminating: true };
  const table: [string, EndpointFacts[], boolean][] = [
    ['only serving-terminating endpoints anywhere: the draining node stays eligible', [terminating], true],
    [
      'a ready endpoint elsewhere: the draining node is not eligible',
      [terminating, { nodeName: 'n2', ready: true, serving: true, terminating: false }],
      false,
    ],
    [
      'terminating and no longer serving: not eligible',
      [{ nodeName: 'n1', ready: false, serving: false, terminating: true }],
      false,
    ],
    ['endpoint without nodeName never counts', [{ ready: true }], false],
  ];
  it.each(table)('%s', (_name, endpoints, eligible) => {
    expect(whyNotEligible({ ...base(), services: [local(endpoints)] }) === null).toBe(eligible);
  });
});

describe('eligibleNodes', () => {
  it('keeps input order and explains the others', () => {
    const { announcements, services } = base();
    const nodes = ['n1', 'n2', 'n3', 'n4'].map((name) => ({
      name,
      labels: name === 'n4' ? { zone: 'b' } : { zone: 'a' },
      ready: name !== 'n3',
      networkUnavailable: false,
    }));
    const input = {
      ip: {
        ip: IP,
        announcements: [
          { ...announcements[0]!, nodeSelector: (l: Record<string, string>) => l.zone === 'a' },
        ],
        services,
      },
      nodes,
      aliveSpeakers: new Set(['n1', 'n3', 'n4']),
    };
    expect(eligibleNodes(input)).toEqual(['n1']);
    expect(explainNodes(input).map((v) => v.ineligible?.reason ?? null)).toEqual([
      null,
      'SpeakerNotAlive',
      'NodeNotReady',
      'NodeSelectorMismatch',
    ]);
  });
});
