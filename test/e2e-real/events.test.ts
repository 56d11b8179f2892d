/**
 * The Service's Kubernetes Events as a user reads them (`kubectl describe service`), written by the Helm-installed
 * controller and speaker pods: `IPAllocated` naming the IP and the pool, `Announcing` naming the node that answers
 * ARP for the IP, and after that node's LAN link goes down, the new announcer's `Announcing` "(took over from
 * <node>)". Then a malformed annotation on the Service, which holds an IP: a Warning `InvalidAnnotation` event
 * naming the annotation and the bad value, while the Service keeps its IP and the client keeps being answered.
 *
 * Isolation: own pool 198.51.100.80/29 (no other suite uses it) in the e2e-real sandbox.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labConfig } from '../lab/config.js';
import {
  L2Capture,
  flushNeighbour,
  kubeClients,
  kubectl,
  labNode,
  netnsExec,
  serviceEvents,
  waitFor,
  waitForEvent,
} from '../e2e/support/index.js';
import { setUpEchoService, type EchoService } from './echo-service.js';
import { announcer, echoFromClient, firstEchoAnswer, speakersHearEachOther } from './support.js';

const POOL = 'e2e-real-events';
const BAD_IP = '198.51.100.300';
const lab = labConfig();
let echo: EchoService | undefined;
let capture: L2Capture | undefined;

beforeAll(async () => {
  echo = await setUpEchoService({ pool: POOL, range: '198.51.100.80/29', name: 'echo' });
  const { client } = lab;
  capture = new L2Capture({ netns: client.netns, iface: 'eth0', ipv4: client.ipv4, ipv6: client.ipv6 });
  await capture.start();
});

afterAll(async () => {
  capture?.stop();
  await echo?.cleanup();
});

/** `kubectl describe service`, as a user would run it. */
function describeService(o: { namespace: string; name: string }): Promise<string> {
  return kubectl(['describe', 'service', '-n', o.namespace, o.name]);
}

async function ingressOf(o: { namespace: string; name: string }): Promise<string[]> {
  const svc = await kubeClients().core.readNamespacedService(o);
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
}

describe('Service events on real nodes', () => {
  it('IPAllocated, Announcing naming the node that answers ARP, and the takeover after its link goes down', async () => {
    const { namespace, name, ip } = echo ?? { namespace: '', name: '', ip: '' };
    const l2 = capture as L2Capture;
    const allocated = await waitForEvent({ namespace, name, reason: 'IPAllocated' });
    expect(allocated.type).toBe('Normal');
    expect(allocated.message).toBe(`Assigned IP ${ip} from IPPool ${POOL}`);

    const owner = await announcer(l2, ip);
    const announcing = await waitForEvent({
      namespace,
      name,
      reason: 'Announcing',
      contains: `announced by node ${owner} `,
    });
    expect(announcing.type).toBe('Normal');
    expect(announcing.message).toMatch(
      new RegExp(
        `^${ip.replaceAll('.', '\\.')} is announced by node ${owner} on eth0 via ARP( \\(took over from ilb-node-\\d+\\))?$`,
      ),
    );

    // The client sends to the announcer (fresh ARP), then the announcer drops off the LAN.
    await flushNeighbour({ ip });
    await firstEchoAnswer(ip);
    const port = labNode(owner).bridgePort;
    await netnsExec(lab.lanNetns, ['ip', 'link', 'set', port, 'down']);
    const downAt = Date.now();
    let newOwner: string;
    let eventMs: number;
    let takeover: Awaited<ReturnType<typeof waitForEvent>>;
    let current: string | undefined;
    try {
      takeover = await waitForEvent({
        namespace,
        name,
        reason: 'Announcing',
        contains: `(took over from ${owner})`,
        timeoutMs: 30_000,
      });
      eventMs = Date.now() - downAt;
      // The node answering ARP now has an event saying so. On a starved machine the IP can move once more between
      // the two remaining nodes (then that node's event names the other one), so the event is looked up by node.
      newOwner = await waitFor(
        async () => {
          const node = await announcer(l2, ip, 1000).catch(() => undefined);
          if (node === undefined || node === owner) return undefined;
          const events = await serviceEvents({ namespace, name, reason: 'Announcing' });
          current = events
            .map((e) => e.message ?? '')
            .find((m) => m.startsWith(`${ip} is announced by node ${node} on eth0 via ARP (took over from `));
          return current === undefined ? undefined : node;
        },
        { what: `a node other than ${owner} answering ARP for ${ip}, with its event`, timeoutMs: 30_000 },
      );
    } finally {
      await netnsExec(lab.lanNetns, ['ip', 'link', 'set', port, 'up']);
    }
    const described = await describeService({ namespace, name });
    console.log(
      `[e2e-real] ${owner} off the LAN: takeover event after ${eventMs} ms; ${newOwner} answers ARP: ${current}\n` +
        `$ kubectl describe service -n ${namespace} ${name}\n${described.trimEnd()}`,
    );
    expect(newOwner).not.toBe(owner);
    expect(takeover.type).toBe('Normal');
    expect(takeover.message).toMatch(
      new RegExp(
        `^${ip.replaceAll('.', '\\.')} is announced by node ilb-node-\\d+ on eth0 via ARP \\(took over from ${owner}\\)$`,
      ),
    );
    expect(current).not.toContain(`took over from ${newOwner})`);
    // What the user reads: the three events in `kubectl describe`.
    expect(described).toMatch(/Normal\s+IPAllocated\s.*Assigned IP/);
    expect(described).toContain(`${ip} is announced by node ${owner} on eth0 via ARP`);
    expect(described).toContain(takeover.message ?? '?');
    expect(described).toContain(current ?? '?');
    await speakersHearEachOther();
  });

  it('a malformed annotation gives a Warning event with a clear message; the Service keeps its IP', async () => {
    const { namespace, name, ip } = echo ?? { namespace: '', name: '', ip: '' };
    const allocatedBefore = (await serviceEvents({ namespace, name, reason: 'IPAllocated' })).length;
    await kubectl(['annotate', 'service', '-n', namespace, name, `ironlb.io/load-balancer-ips=${BAD_IP}`]);
    const warning = await waitForEvent({ namespace, name, reason: 'InvalidAnnotation' });
    expect(warning.type).toBe('Warning');
    expect(warning.message).toBe(
      `ironlb.io/load-balancer-ips: '${BAD_IP}' is not a valid IPv4 or IPv6 address`,
    );
    const described = await describeService({ namespace, name });
    console.log(`[e2e-real] $ kubectl describe service -n ${namespace} ${name}\n${described.trimEnd()}`);
    expect(described).toMatch(
      /Warning\s+InvalidAnnotation\s.*'198\.51\.100\.300' is not a valid IPv4 or IPv6 address/,
    );

    // For the next 10 s the Service keeps its IP and the client is answered there.
    const until = Date.now() + 10_000;
    const answers: string[] = [];
    while (Date.now() < until) {
      expect(await ingressOf({ namespace, name })).toEqual([ip]);
      const answer = await echoFromClient(ip);
      answers.push(typeof answer === 'string' ? answer : 'ok');
      await sleep(500);
    }
    expect(answers.filter((a) => a !== 'ok')).toEqual([]);

    // Fixed (annotation removed): still the same IP, and no new allocation.
    await kubectl(['annotate', 'service', '-n', namespace, name, 'ironlb.io/load-balancer-ips-']);
    await sleep(3000);
    expect(await ingressOf({ namespace, name })).toEqual([ip]);
    expect((await serviceEvents({ namespace, name, reason: 'IPAllocated' })).length).toBe(allocatedBefore);
  });
});
