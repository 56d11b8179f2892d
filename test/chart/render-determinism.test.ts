import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, HELM, helmTemplate, warnIfNoHelm } from './helm.js';

/**
 * GitOps tools (Argo CD, Flux post-renderers, `helm template | kubectl apply`) render the chart again on every
 * sync and have no `lookup`: anything random or time-dependent in a render changes the cluster each time (a new
 * membership key split the speakers). Two renders with the same values must be byte-identical, and no template
 * may use a function whose output differs between renders. Skipped, with a message, only when there is no helm.
 */
const chart = CHART_DIR;
warnIfNoHelm('render determinism tests');
const render = helmTemplate;

const VALUE_SETS: [string, string[]][] = [
  ['default values', []],
  [
    'quick start, loadBalancerClass, ServiceMonitors',
    [
      '--set',
      'quickStart.enabled=true',
      '--set',
      'quickStart.addresses={192.168.1.240/28}',
      '--set',
      'loadBalancerClass=ironlb.io/l2',
      '--set',
      'serviceMonitor.enabled=true',
    ],
  ],
  ['an existing membership Secret', ['--set', 'speaker.membership.existingSecret=my-key']],
  ['no node admission policy', ['--set', 'speaker.nodePolicy.enabled=false']],
];

/** Sprig/Helm functions whose result is not a function of the values: random, clock, or cluster state. */
const NON_DETERMINISTIC =
  /\b(lookup|randAlphaNum|randAlpha|randNumeric|randAscii|randBytes|randInt|uuidv4|now|date|dateInZone|unixEpoch|genPrivateKey|genCA|genSelfSignedCert|genSignedCert|derivePassword|htpasswd|shuffle)\b/u;

function templateFiles(): string[] {
  const dir = join(chart, 'templates');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.tpl') || f.endsWith('.txt'))
    .map((f) => join(dir, f));
}

/** The text inside `{{ ... }}` actions, comments `{{/* ... *\/}}` removed. */
function actions(text: string): string[] {
  return [...text.matchAll(/\{\{-?([\s\S]*?)-?\}\}/gu)]
    .map((m) => m[1] ?? '')
    .filter((a) => !a.trim().startsWith('/*'));
}

describe.skipIf(HELM === undefined)('charts/ironlb renders deterministically', () => {
  it.each(VALUE_SETS)('two renders with %s are byte-identical', async (_name, values) => {
    const [first, second] = await Promise.all([render(values), render(values)]);
    expect(first.length).toBeGreaterThan(1000);
    expect(second).toBe(first);
  });

  it('renders no Secret at all: the membership key is created at run time', async () => {
    for (const [, values] of VALUE_SETS) expect(await render(values)).not.toMatch(/^kind: Secret$/mu);
  });

  it('no template calls a random, clock or lookup function', () => {
    const offenders = templateFiles().flatMap((file) =>
      actions(readFileSync(file, 'utf8'))
        .filter((a) => NON_DETERMINISTIC.test(a))
        .map((a) => `${file.slice(chart.length + 1)}: {{${a.trim()}}}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the function check itself catches the old membership Secret template', () => {
    const old =
      '{{- $existing := lookup "v1" "Secret" .Release.Namespace $name }}\n' +
      '  secretKey: {{ default (randAlphaNum 64 | b64enc) $key | quote }}';
    expect(actions(old).filter((a) => NON_DETERMINISTIC.test(a))).toHaveLength(2);
    expect(
      actions('{{/* lookup is not used */}}{{ .Values.x }}').filter((a) => NON_DETERMINISTIC.test(a)),
    ).toEqual([]);
  });
});
