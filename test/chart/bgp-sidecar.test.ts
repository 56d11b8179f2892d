import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, HELM, helm, helmTemplate, warnIfNoHelm } from './helm.js';

/**
 * bgp.enabled: the speaker DaemonSet with and without the frr sidecar, rendered by the real helm. Checks the
 * objects (containers, flags, shared volumes, capabilities, probes), not text.
 */
warnIfNoHelm('chart BGP sidecar tests');

type Item = Record<string, unknown>;
const BGP = ['--set', 'bgp.enabled=true'];

async function speakerPod(extra: string[] = []): Promise<Item> {
  const docs = parseAllDocuments(await helmTemplate(extra)).map((d) => d.toJS() as Item | null);
  const ds = docs.find((o) => o?.kind === 'DaemonSet' && (o.metadata as Item).name === 'ironlb-speaker');
  if (ds === undefined || ds === null) throw new Error('speaker DaemonSet not rendered');
  return ((ds.spec as Item).template as Item).spec as Item;
}
const containers = (pod: Item): Item[] => pod.containers as Item[];
function named(items: Item[], name: string): Item {
  const found = items.find((i) => i.name === name);
  if (found === undefined) throw new Error(`${name} not found`);
  return found;
}
const mounts = (c: Item): Record<string, string> =>
  Object.fromEntries((c.volumeMounts as Item[]).map((m) => [m.name as string, m.mountPath as string]));

describe.skipIf(HELM === undefined)('charts/ironlb bgp.enabled', () => {
  it('off by default: one container, no BGP flags, no FRR volumes', async () => {
    const pod = await speakerPod();
    expect(containers(pod).map((c) => c.name)).toEqual(['speaker']);
    const speaker = named(containers(pod), 'speaker');
    expect((speaker.args as string[]).filter((a) => a.startsWith('--bgp-'))).toEqual([]);
    expect((pod.volumes as Item[]).map((v) => v.name)).toEqual(['membership', 'tmp']);
  });

  it('on: the speaker gets the BGP flags and shares /etc/frr and /var/run/frr with the frr sidecar', async () => {
    const pod = await speakerPod([...BGP, '--set', 'bgp.sessionPoll=5s']);
    expect(containers(pod).map((c) => c.name)).toEqual(['speaker', 'frr']);
    const speaker = named(containers(pod), 'speaker');
    const frr = named(containers(pod), 'frr');
    expect((speaker.args as string[]).filter((a) => a.startsWith('--bgp-'))).toEqual([
      '--bgp-frr-config=/etc/frr',
      '--bgp-session-poll=5s',
    ]);
    expect(mounts(speaker)).toMatchObject({ 'frr-config': '/etc/frr', 'frr-run': '/var/run/frr' });
    expect(mounts(frr)).toEqual({
      'frr-config': '/etc/frr',
      'frr-run': '/var/run/frr',
      'frr-tmp': '/var/tmp/frr',
    });
    const volumes = pod.volumes as Item[];
    for (const name of ['frr-config', 'frr-run', 'frr-tmp']) {
      expect(named(volumes, name).emptyDir).toBeDefined();
    }
    // Same network as the node (bgpd on port 179 of the node's addresses) for both containers.
    expect(pod.hostNetwork).toBe(true);
  });

  it('the sidecar: FRR image from values, daemons as root with only the capabilities FRR asks for', async () => {
    const pod = await speakerPod([
      ...BGP,
      '--set',
      'bgp.frrImage.repository=registry.example/frr',
      '--set',
      'bgp.frrImage.tag=8.4.4-1',
    ]);
    const frr = named(containers(pod), 'frr');
    expect(frr.image).toBe('registry.example/frr:8.4.4-1');
    expect(frr.securityContext).toEqual({
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW', 'NET_BIND_SERVICE', 'SYS_ADMIN'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // The speaker keeps NET_RAW alone: it reaches FRR's root-owned sockets as their owner, not by capability.
    expect(named(containers(pod), 'speaker').securityContext).toMatchObject({
      capabilities: { drop: ['ALL'], add: ['NET_RAW'] },
    });
    const resources = frr.resources as Item;
    expect(resources.requests).toEqual({ cpu: '20m', memory: '64Mi' });
    expect(resources.limits).toEqual({ memory: '256Mi' });
  });

  it('the sidecar starts zebra, bgpd and bfdd of the default instance and is probed through vtysh', async () => {
    const frr = named(containers(await speakerPod(BGP)), 'frr');
    const script = (frr.args as string[]).join('\n');
    expect(frr.command).toEqual(['/bin/bash', '-c']);
    expect(script).toContain('for d in zebra bgpd bfdd');
    expect(script).toContain('-u root -g root -F datacenter -f /dev/null -P 0');
    expect(script).not.toMatch(/ -N /);
    expect(script).toContain('vtysh -f /etc/frr/frr.conf');
    for (const probe of ['startupProbe', 'livenessProbe']) {
      expect((frr[probe] as Item).exec).toEqual({ command: ['vtysh', '-c', 'show version'] });
    }
  });

  it('helm lint --strict passes with bgp.enabled', async () => {
    const stdout = await helm(['lint', CHART_DIR, '--strict', ...BGP]);
    expect(stdout).toContain('0 chart(s) failed');
  });

  it('two renders with bgp.enabled are byte-identical', async () => {
    expect(await helmTemplate(BGP)).toBe(await helmTemplate(BGP));
  });
});
