import type { FrrPlan } from '../frr-plan.js';

/**
 * Plans whose rendering is checked against golden files (`golden/<name>.conf`, reviewed by hand) and, where FRR is
 * installed, fed to FRR itself (frr-config.netns.test.ts).
 */
export const GOLDEN_PLANS: Readonly<Record<string, FrrPlan>> = {
  'no-peers': { routerId: '192.0.2.11', peers: [], bfdProfiles: [] },
  'one-peer-v4': {
    routerId: '192.0.2.11',
    bfdProfiles: [],
    peers: [
      {
        name: 'router',
        address: '198.51.100.1',
        asn: 64513,
        localASN: 64512,
        ebgpMultihop: false,
        prefixes: [
          { prefix: '203.0.113.20/32', communities: [], largeCommunities: [] },
          { prefix: '203.0.113.3/32', communities: [], largeCommunities: [] },
        ],
      },
    ],
  },
  // Listed out of order on purpose: the output is sorted.
  'dual-stack-everything': {
    routerId: '192.0.2.12',
    bfdProfiles: [
      {
        name: 'slow',
        receiveIntervalMs: 1000,
        transmitIntervalMs: 1000,
        detectMultiplier: 5,
        passiveMode: true,
        minimumTtl: 250,
      },
      {
        name: 'fast',
        receiveIntervalMs: 50,
        transmitIntervalMs: 50,
        detectMultiplier: 3,
        echoMode: true,
        echoIntervalMs: 100,
      },
    ],
    peers: [
      {
        name: 'router-v6',
        address: '2001:db8::1',
        asn: 64513,
        localASN: 64512,
        port: 1179,
        ebgpMultihop: false,
        bfdProfile: 'fast',
        prefixes: [
          {
            prefix: '2001:db8:ff::10/128',
            communities: ['65000:200', '65000:100', 'no-export'],
            largeCommunities: ['64512:2:1', '64512:1:9'],
            localPref: 200,
          },
        ],
      },
      {
        name: 'router-ibgp',
        address: '198.51.100.2',
        asn: 64512,
        localASN: 64512,
        holdTimeSeconds: 9,
        password: 's3cret-pass',
        ebgpMultihop: false,
        prefixes: [
          { prefix: '203.0.113.0/24', communities: ['65000:1'], largeCommunities: [], localPref: 150 },
          { prefix: '203.0.113.0/24', communities: ['65000:2'], largeCommunities: [], localPref: 120 },
        ],
      },
      {
        name: 'router',
        address: '198.51.100.1',
        asn: 64513,
        localASN: 64512,
        keepaliveTimeSeconds: 10,
        holdTimeSeconds: 30,
        ebgpMultihop: true,
        sourceAddress: '192.0.2.12',
        bfdProfile: 'slow',
        prefixes: [
          { prefix: '203.0.113.20/32', communities: [], largeCommunities: [] },
          { prefix: '203.0.113.21/32', communities: ['65535:65281'], largeCommunities: [] },
          { prefix: '203.0.113.3/32', communities: [], largeCommunities: [] },
        ],
      },
      {
        name: 'other-as',
        address: '198.51.100.9',
        asn: 64999,
        localASN: 64600,
        ebgpMultihop: false,
        prefixes: [],
      },
    ],
  },
};
