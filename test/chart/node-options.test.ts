import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { HELM, helmTemplate, warnIfNoHelm } from './helm.js';

/**
 * NODE_OPTIONS of the speaker and controller containers: V8's old space at 65 % of the container's memory limit
 * (floor, MiB) and a 1 MiB semi-space, derived by `ironlb.nodeOptions` (templates/_helpers.tpl), overridable;
 * other V8 flags (`<component>.v8Flags`) on node's command line, since Node refuses them in NODE_OPTIONS.
 */
warnIfNoHelm('chart NODE_OPTIONS tests');

interface Workload {
  kind: string;
  spec: {
    template: {
      spec: { containers: { name: string; args?: string[]; env?: { name: string; value?: string }[] }[] };
    };
  };
}

/** Each container's args up to and including the program (node's flags, then `<component>/dist/main.js`). */
async function argsOf(args: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const doc of parseAllDocuments(await helmTemplate(args))) {
    const o = doc.toJS() as Workload | null;
    if (o?.kind !== 'DaemonSet' && o?.kind !== 'Deployment') continue;
    for (const c of o.spec.template.spec.containers) {
      const a = c.args ?? [];
      out.set(c.name, a.slice(0, a.findIndex((x) => x.endsWith('/dist/main.js')) + 1));
    }
  }
  return out;
}

/** An env variable per container name ("speaker", "controller"), undefined when the variable is not set. */
async function envOf(args: string[], variable: string): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const doc of parseAllDocuments(await helmTemplate(args))) {
    const o = doc.toJS() as Workload | null;
    if (o?.kind !== 'DaemonSet' && o?.kind !== 'Deployment') continue;
    for (const c of o.spec.template.spec.containers)
      out.set(c.name, c.env?.find((e) => e.name === variable)?.value);
  }
  return out;
}

const nodeOptions = (args: string[]): Promise<Map<string, string | undefined>> => envOf(args, 'NODE_OPTIONS');

const flags = (oldSpaceMiB: number): string =>
  `--max-old-space-size=${String(oldSpaceMiB)} --max-semi-space-size=1`;

describe.skipIf(HELM === undefined)('charts/ironlb: V8 flags from the memory limit', () => {
  it('derives the flags from the default limits (speaker 160Mi, controller 256Mi)', async () => {
    const env = await nodeOptions([]);
    expect(env.get('speaker')).toBe(flags(104));
    expect(env.get('controller')).toBe(flags(166));
  });

  it.each([
    ['128Mi', 83],
    ['1Gi', 665],
    ['0.5Gi', 332],
    ['300M', 185],
    ['268435456', 166],
    ['262144Ki', 166],
  ])('memory limit %s → old space %d MiB', async (limit, oldSpace) => {
    const env = await nodeOptions([
      '--set',
      `speaker.resources.limits.memory=${limit}`,
      '--set',
      `controller.resources.limits.memory=${limit}`,
    ]);
    expect(env.get('speaker')).toBe(flags(oldSpace));
    expect(env.get('controller')).toBe(flags(oldSpace));
  });

  it('without a memory limit only caps the semi-space', async () => {
    const env = await nodeOptions(['--set', 'speaker.resources.limits=null']);
    expect(env.get('speaker')).toBe('--max-semi-space-size=1');
    expect(env.get('controller')).toBe(flags(166));
  });

  it("v8Flags go on node's command line before the program (Node refuses them in NODE_OPTIONS), per component", async () => {
    expect(await argsOf([])).toEqual(
      new Map([
        ['speaker', ['--optimize-for-size', '--no-turbofan', 'speaker/dist/main.js']],
        ['controller', ['--lite-mode', 'controller/dist/main.js']],
      ]),
    );
    const set = ['--set', 'speaker.v8Flags=null', '--set', 'controller.v8Flags=--no-opt --stack-size=500'];
    expect(await argsOf(set)).toEqual(
      new Map([
        ['speaker', ['speaker/dist/main.js']],
        ['controller', ['--no-opt', '--stack-size=500', 'controller/dist/main.js']],
      ]),
    );
    const env = await nodeOptions(set);
    expect(env.get('speaker')).toBe(flags(104));
    expect(env.get('controller')).toBe(flags(166));
  });

  it('nodeOptions replaces the derived flags; an empty string sets no NODE_OPTIONS', async () => {
    const env = await nodeOptions([
      '--set',
      'speaker.nodeOptions=--max-old-space-size=100',
      '--set',
      'controller.nodeOptions=',
    ]);
    expect(env.get('speaker')).toBe('--max-old-space-size=100');
    expect(env.has('controller')).toBe(true);
    expect(env.get('controller')).toBeUndefined();
  });

  it('refuses a limit it cannot read or one too small for V8, naming the value', async () => {
    await expect(nodeOptions(['--set', 'speaker.resources.limits.memory=lots'])).rejects.toThrow(
      'memory limit "lots": not a quantity',
    );
    await expect(nodeOptions(['--set', 'controller.resources.limits.memory=20Mi'])).rejects.toThrow(
      'memory limit 20Mi leaves 13 MiB of V8 old space',
    );
  });

  it('the speaker gets MALLOC_ARENA_MAX=2 by default; speaker.mallocArenaMax changes it, null drops it', async () => {
    expect((await envOf([], 'MALLOC_ARENA_MAX')).get('speaker')).toBe('2');
    expect((await envOf(['--set', 'speaker.mallocArenaMax=4'], 'MALLOC_ARENA_MAX')).get('speaker')).toBe('4');
    const none = await envOf(['--set', 'speaker.mallocArenaMax=null'], 'MALLOC_ARENA_MAX');
    expect(none.has('speaker')).toBe(true);
    expect(none.get('speaker')).toBeUndefined();
  });
});
