/**
 * The speaker on the lab: real speakers in the node namespaces, real ARP/NDP seen from the client namespace.
 * The controller does not run here: tests write Service status themselves, exactly as the controller does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electAnnouncer } from '../../speaker/src/election/index.js';
import {
  apply,
  createLbService,
  createReadyPod,
  deleteObjects,
  httpGetFromClient,
  kubeClients,
  labNode,
  netnsExec,
  waitForEvent,
  setIngress,
  waitFor,
} from './support/index.js';
import { L2Capture } from './support/l2-capture.js';
import { speakerEnvironment, type SpeakerEnvironment } from './support/speaker-env.js';

const POOL = 'e2e-speaker-l2';
/** Own class and ports: speakers of suites running beside this one neither announce our Services nor hear ours. */
const CLASS = 'ironlb.io/e2e-speaker-l2';
const PORTS = { metrics: 27521, membership: 27998 };
let env: SpeakerEnvironment;

beforeAll(async () => {
  env = await speakerEnvironment({
    name: POOL,
    addresses: ['203.0.113.0/27', '2001:db8:100::e000/120'],
    speakerArgs: ['--load-balancer-class', CLASS],
    ports: PORTS,
  });
}, 120_000);

afterAll(async () => {
  await env.cleanup();
});

async function lbWithIp(
  name: string,
  ips: string[],
  extra: Parameters<typeof createLbService>[0] | object = {},
): Promise<void> {
  await createLbService({ namespace: env.ns.name, name, loadBalancerClass: CLASS, ...extra });
  await setIngress({ namespace: env.ns.name, name, ips });
}

describe('speaker: L2 announcements on the lab', () => {
  it('makes the IP reachable from the elected node only, and says so with kubectl', async () => {
    const ip = '203.0.113.1';
    await lbWithIp('web', [ip]);
    const node = await env.announcer(ip);
    // Every speaker computes the same ranking; with all three nodes eligible, the first one wins.
    expect(node).toBe(electAnnouncer(ip, env.nodes));
    expect(await env.capture.whoAnswers(ip)).toEqual([labNode(node).mac.toLowerCase()]);
    const get = await httpGetFromClient({ ip });
    expect(get.ok && get.body.trim()).toBe(node);

    const { core } = kubeClients();
    await waitFor(
      async () =>
        (await core.readNode({ name: node })).metadata?.annotations?.['ironlb.io/announcing']
          ?.split(',')
          .includes(ip),
      { what: 'node annotation listing the IP' },
    );
    const announcing = await waitForEvent({ namespace: env.ns.name, name: 'web', reason: 'Announcing' });
    expect(announcing.message).toContain(`${ip} is announced by node ${node}`);

    const metrics = await netnsExec(node, ['curl', '-s', `http://127.0.0.1:${PORTS.metrics}/metrics`]);
    const replies = /ironlb_speaker_replies_sent_total\{family="ipv4"\} (\d+)/.exec(metrics.stdout);
    expect(Number(replies?.[1])).toBeGreaterThan(0);
    expect(metrics.stdout).toMatch(/ironlb_speaker_announced_ips\{family="ipv4"\} [1-9]/);
    expect(metrics.stdout).toMatch(/ironlb_speaker_members_alive 3/);
  });

  it('answers NDP for an IPv6 IP and the client reaches the node over IPv6', async () => {
    const ip = '2001:db8:100::e001';
    await lbWithIp('web6', [ip], { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] });
    const node = await env.announcer(ip);
    expect(node).toBe(electAnnouncer(ip, env.nodes));
    const get = await httpGetFromClient({ ip });
    expect(get.ok && get.body.trim()).toBe(node);
  });

  it('announces a shared IP from exactly one node', async () => {
    const ip = '203.0.113.2';
    await lbWithIp('shared-a', [ip], { ports: [{ port: 80, protocol: 'TCP' }] });
    await lbWithIp('shared-b', [ip], { ports: [{ port: 443, protocol: 'TCP' }] });
    const node = await env.announcer(ip);
    for (let i = 0; i < 5; i++)
      expect(await env.capture.whoAnswers(ip)).toEqual([labNode(node).mac.toLowerCase()]);
  });

  it('with externalTrafficPolicy Local announces only from a node with a ready endpoint, and follows it', async () => {
    const ip = '203.0.113.3';
    await lbWithIp('local', [ip], { externalTrafficPolicy: 'Local', selector: { app: 'local' } });
    // Pick the node that would NOT win an unconstrained election, so following the endpoint is visible.
    const first = env.nodes.find((n) => n !== electAnnouncer(ip, env.nodes)) ?? '';
    await createReadyPod({ namespace: env.ns.name, name: 'local-1', node: first, labels: { app: 'local' } });
    expect(await env.announcer(ip)).toBe(first);

    const second = env.nodes.find((n) => n !== first) ?? '';
    const { core } = kubeClients();
    await createReadyPod({ namespace: env.ns.name, name: 'local-2', node: second, labels: { app: 'local' } });
    await core.deleteNamespacedPod({ namespace: env.ns.name, name: 'local-1', gracePeriodSeconds: 0 });
    await waitFor(async () => (await env.announcer(ip)) === second, { what: 'announcer follows the pod' });

    await core.deleteNamespacedPod({ namespace: env.ns.name, name: 'local-2', gracePeriodSeconds: 0 });
    await waitFor(async () => (await env.capture.whoAnswers(ip)).length === 0, { what: 'nobody announces' });
    const notAnnounced = await waitForEvent({
      namespace: env.ns.name,
      name: 'local',
      reason: 'NotAnnounced',
    });
    expect(notAnnounced.message).toContain('has no ready endpoint');
  });

  it('respects the nodeSelector and the interfaces of an L2Announcement', async () => {
    const only = env.nodes[2] ?? '';
    const ifIp = '203.0.113.69';
    // Every node gets an eth9: one end of a veth pair whose other end (eth9p) stays in the node's namespace, so a
    // capture on eth9p sees exactly what that node's speaker sends on eth9 and nothing leaves the node.
    const eth9 = new Map<string, { mac: string; capture: L2Capture }>();
    const created: string[] = [];
    try {
      for (const node of env.nodes) {
        // A run that died before its cleanup may have left the pair behind.
        await netnsExec(node, ['ip', 'link', 'del', 'eth9']).catch(() => undefined);
        await netnsExec(node, ['ip', 'link', 'add', 'eth9', 'type', 'veth', 'peer', 'name', 'eth9p']);
        created.push(node);
        // Like eth0 (test/lab/network.ts): the kernel must not answer ARP for the Service IPs that kube-proxy puts on
        // the node, or its replies would look like the speaker's.
        for (const dev of ['eth9', 'eth9p']) {
          await netnsExec(node, [
            'sysctl',
            '-qw',
            `net.ipv4.conf.${dev}.arp_ignore=1`,
            `net.ipv4.conf.${dev}.arp_announce=2`,
          ]);
          await netnsExec(node, ['ip', 'link', 'set', dev, 'up']);
        }
        const link = JSON.parse((await netnsExec(node, ['ip', '-j', 'link', 'show', 'eth9'])).stdout) as {
          address: string;
        }[];
        const capture = new L2Capture({
          netns: node,
          iface: 'eth9p',
          ipv4: '192.0.2.250',
          ipv6: '2001:db8::250',
        });
        eth9.set(node, { mac: (link[0]?.address ?? '').toLowerCase(), capture });
        await capture.start();
      }
      await apply(
        [
          'apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: e2e-speaker-sel}\nspec: {addresses: ["203.0.113.64/30"]}',
          `apiVersion: ironlb.io/v1alpha1\nkind: L2Announcement\nmetadata: {name: e2e-speaker-sel}\nspec:\n  ipPools: [e2e-speaker-sel]\n  nodeSelector: {matchLabels: {kubernetes.io/hostname: ${only}}}`,
          'apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: e2e-speaker-if}\nspec: {addresses: ["203.0.113.68/30"]}',
          'apiVersion: ironlb.io/v1alpha1\nkind: L2Announcement\nmetadata: {name: e2e-speaker-if}\nspec:\n  ipPools: [e2e-speaker-if]\n  interfaces: [eth9]',
        ].join('\n---\n'),
      );
      await lbWithIp('selected', ['203.0.113.65']);
      await lbWithIp('other-iface', [ifIp]);
      expect(await env.announcer('203.0.113.65')).toBe(only);

      // Announced on eth9 only: the elected node answers there with eth9's MAC ...
      const owner = electAnnouncer(ifIp, env.nodes) ?? '';
      const ownerEth9 = eth9.get(owner);
      await waitFor(async () => (await ownerEth9?.capture.whoAnswers(ifIp))?.join() === ownerEth9?.mac, {
        what: `${owner} answering for ${ifIp} on eth9 with ${ownerEth9?.mac}`,
        timeoutMs: 15_000,
      });
      const announcing = await waitForEvent({
        namespace: env.ns.name,
        name: 'other-iface',
        reason: 'Announcing',
      });
      expect(announcing.message).toContain(`${ifIp} is announced by node ${owner} on eth9`);
      // ... no other node answers on its eth9, and nothing answers on the LAN (eth0).
      for (const [node, { capture }] of eth9) {
        if (node !== owner) expect(await capture.whoAnswers(ifIp)).toEqual([]);
      }
      expect(await env.capture.whoAnswers(ifIp)).toEqual([]);
    } finally {
      for (const { capture } of eth9.values()) capture.stop();
      for (const node of created) await netnsExec(node, ['ip', 'link', 'del', 'eth9']);
      await deleteObjects('l2announcements.ironlb.io', ['e2e-speaker-sel', 'e2e-speaker-if']);
      await deleteObjects('ippools.ironlb.io', ['e2e-speaker-sel', 'e2e-speaker-if']);
    }
  });

  it('reports a foreign host claiming an announced IP as an IPConflict event', async () => {
    const ip = '203.0.113.9';
    await lbWithIp('conflict', [ip]);
    const node = await env.announcer(ip);
    const client = process.env.LAB_CLIENT_NETNS ?? 'ilb-client';
    await netnsExec(client, ['ip', 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
    try {
      const conflict = await waitForEvent({
        namespace: env.ns.name,
        name: 'conflict',
        reason: 'IPConflict',
        timeoutMs: 15_000,
      });
      expect(conflict.type).toBe('Warning');
      expect(conflict.message).toContain(`${ip} is also claimed by 02:00:00:00:00:64`);
      expect(conflict.message).toContain(node);
    } finally {
      await netnsExec(client, ['ip', 'addr', 'del', `${ip}/32`, 'dev', 'eth0']);
    }
  });
});
