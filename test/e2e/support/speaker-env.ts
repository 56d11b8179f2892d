import { labNode, labNodes } from './nodes.js';
import { createTestNamespace, type TestNamespace } from './kube.js';
import { apply, deleteObjects, installCrds } from './ironlb.js';
import { L2Capture } from './l2-capture.js';
import { netnsExec } from './netns.js';
import { E2E_SPEAKER_PORTS, SpeakerSet } from './speakers.js';
import { waitFor } from './wait.js';

export interface SpeakerEnvironment {
  ns: TestNamespace;
  speakers: SpeakerSet;
  capture: L2Capture;
  nodes: string[];
  /** Node name owning a MAC (lower-case colon form). */
  nodeOfMac: (mac: string) => string | undefined;
  /** Waits until exactly one MAC answers for the IP; returns that node. */
  announcer: (ip: string, timeoutMs?: number) => Promise<string>;
  cleanup: () => Promise<void>;
}

/**
 * CRDs, one IPPool + L2Announcement named `name`, a namespace, three running speakers and an L2 capture in the
 * client namespace. Speaker flags are tuned for tests only where noted (fast conflict probe).
 */
export async function speakerEnvironment(o: {
  name: string;
  addresses: readonly string[];
  /** Extra speaker flags, e.g. --load-balancer-class; ports and process names for suites run beside others. */
  speakerArgs?: readonly string[];
  ports?: { metrics: number; membership: number };
  /** Command prefix for every speaker (SpeakerSet's wrap), e.g. NET_RAW_ONLY. */
  wrap?: readonly string[];
}): Promise<SpeakerEnvironment> {
  await installCrds();
  await apply(
    [
      `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${o.name}}\nspec:\n  addresses: [${o.addresses.map((a) => `"${a}"`).join(', ')}]`,
      `apiVersion: ironlb.io/v1alpha1\nkind: L2Announcement\nmetadata: {name: ${o.name}}\nspec:\n  ipPools: [${o.name}]`,
    ].join('\n---\n'),
  );
  const ns = await createTestNamespace(o.name);
  const nodes = labNodes();
  const speakers = new SpeakerSet({
    nodes,
    args: ['--conflict-probe-interval', '1s', '--log-level', 'debug', ...(o.speakerArgs ?? [])],
    ...(o.ports ? { ports: o.ports, name: `${o.name}-speaker` } : {}),
    ...(o.wrap ? { wrap: o.wrap } : {}),
  });
  speakers.startAll();
  // Tests start from a settled membership: a speaker that starts before its peers announces alone until it hears
  // them, which would race the first test (its IP answered, and its Announcing event sent, by the wrong node).
  const metricsPort = (o.ports ?? E2E_SPEAKER_PORTS).metrics;
  await waitFor(
    async () => {
      for (const node of nodes) {
        const { stdout } = await netnsExec(node, ['curl', '-s', `http://127.0.0.1:${metricsPort}/metrics`]);
        if (!stdout.split('\n').includes(`ironlb_speaker_members_alive ${nodes.length}`)) return false;
      }
      return true;
    },
    { what: `every speaker hearing all ${nodes.length}`, timeoutMs: 60_000, intervalMs: 250 },
  );
  const client = process.env.LAB_CLIENT_NETNS ?? 'ilb-client';
  const capture = new L2Capture({ netns: client, iface: 'eth0', ipv4: '192.0.2.100', ipv6: '2001:db8::100' });
  await capture.start();
  const macs = new Map(nodes.map((n) => [labNode(n).mac.toLowerCase(), n]));
  const nodeOfMac = (mac: string): string | undefined => macs.get(mac);
  const announcer = async (ip: string, timeoutMs = 15_000): Promise<string> =>
    waitFor(
      async () => {
        const answered = await capture.whoAnswers(ip);
        return answered.length === 1 ? nodeOfMac(answered[0] ?? '') : undefined;
      },
      { what: `exactly one node answering for ${ip}`, timeoutMs, intervalMs: 100 },
    );
  const cleanup = async (): Promise<void> => {
    capture.stop();
    await speakers.stopAll();
    await ns.cleanup();
    await deleteObjects('l2announcements.ironlb.io', [o.name]);
    await deleteObjects('ippools.ironlb.io', [o.name]);
  };
  return { ns, speakers, capture, nodes, nodeOfMac, announcer, cleanup };
}
