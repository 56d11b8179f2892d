import { translateBfdProfile } from './bfd-profile.js';
import { translateBgpAdvertisement } from './bgp-advertisement.js';
import { translateBgpPeer } from './bgp-peer.js';
import { type AliasTable, checkCommunity, collectAliases } from './community.js';
import { fail, findings, hasErrors, warn, type Diagnostic, type Findings } from './diagnostics.js';
import { isObj, readObj, readString, readStringMap, type Obj } from './fields.js';
import { translateIPAddressPool } from './ip-address-pool.js';
import type { ObjectMeta, Translated } from './translated.js';
import { translateL2Advertisement } from './l2-advertisement.js';
import { legacyConfig, translateAddressPool, translateLegacyConfig } from './legacy.js';

/** One parsed YAML document and where it came from (`file#n`, used in messages). */
export interface InputDocument {
  origin: string;
  value: unknown;
}

export interface TranslateResult {
  objects: Translated[];
  diagnostics: Diagnostic[];
}

/** MetalLB kinds with no ironlb counterpart, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  ServiceL2Status: 'not translatable: a MetalLB status object, written by MetalLB itself',
  ServiceBGPStatus: 'not translatable: a MetalLB status object, written by MetalLB itself',
  ConfigurationState: 'not translatable: a MetalLB status object, written by MetalLB itself',
};

/** Server-populated metadata that says nothing about the configuration; dropped silently. */
const SERVER_METADATA = [
  'name',
  'namespace',
  'labels',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
];

/**
 * Translates MetalLB configuration to ironlb objects. Invariants:
 * - an object with any error is not in `objects` (all-or-nothing per MetalLB object, per legacy pool);
 * - output names are unique per kind (ironlb kinds are cluster-scoped, MetalLB's are namespaced), the
 *   first object with a name wins and later ones get an error;
 * - `kind: List` documents (kubectl get -o yaml) are expanded; empty documents are skipped;
 * - MetalLB Community aliases are collected from the whole input before any BGPAdvertisement is translated.
 */
export function translate(docs: readonly InputDocument[]): TranslateResult {
  const sink: Sink = { objects: [], names: new Set() };
  const diagnostics: Diagnostic[] = [];
  const expanded = expandLists(docs);
  const aliases = collectAliases(expanded);
  for (const doc of expanded) {
    for (const f of translateOne(doc, { sink, aliases })) diagnostics.push(...f.list);
  }
  return { objects: sink.objects, diagnostics };
}

/** The accepted output so far and the `Kind/name` keys it uses. */
interface Sink {
  objects: Translated[];
  names: Set<string>;
}

function expandLists(docs: readonly InputDocument[]): InputDocument[] {
  const out: InputDocument[] = [];
  for (const doc of docs) {
    if (doc.value === null || doc.value === undefined) continue;
    if (isObj(doc.value) && doc.value.kind === 'List' && Array.isArray(doc.value.items)) {
      doc.value.items.forEach((value, i) => out.push({ origin: `${doc.origin}.items[${i}]`, value }));
    } else {
      out.push(doc);
    }
  }
  return out;
}

/** Translates one document into `sink`; returns its findings (the first one is about the document). */
function translateOne(doc: InputDocument, o: { sink: Sink; aliases: AliasTable }): Findings[] {
  const { sink } = o;
  const value = doc.value;
  if (!isObj(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string') {
    const f = findings(doc.origin);
    fail(f, 'not a Kubernetes object (needs apiVersion and kind)');
    return [f];
  }
  const kind = value.kind;
  const f = findings(`${doc.origin} ${kind} ${qualifiedName(value)}`);
  const group = value.apiVersion.split('/')[0] ?? '';
  if (kind === 'ConfigMap' && value.apiVersion === 'v1') return translateConfigMap(f, { value, sink });
  if (group !== 'metallb.io') {
    warn(f, 'skipped: not a MetalLB configuration object');
    return [f];
  }
  const translated = translateMetalLB(f, { value, kind, origin: doc.origin, aliases: o.aliases });
  if (!hasErrors(f)) acceptIfUnique(f, { translated, sink });
  return [f];
}

function translateMetalLB(
  f: Findings,
  o: { value: Obj; kind: string; origin: string; aliases: AliasTable },
): Translated[] {
  const refused = REFUSED[o.kind];
  if (refused !== undefined) {
    fail(f, refused);
    return [];
  }
  const meta = readMeta(f, o.value);
  const spec = readObj(f, { obj: o.value, key: 'spec', path: '' }) ?? {};
  switch (o.kind) {
    case 'IPAddressPool': {
      const pool = translateIPAddressPool(f, { meta, spec });
      return pool === undefined ? [] : [{ object: pool, comments: [] }];
    }
    case 'L2Advertisement':
      return translateL2Advertisement(f, { meta, spec });
    case 'BGPPeer':
      return translateBgpPeer(f, { meta, spec });
    case 'BGPAdvertisement':
      return translateBgpAdvertisement(f, { meta, spec, aliases: o.aliases });
    case 'BFDProfile':
      return translateBfdProfile(f, { meta, spec });
    case 'Community':
      checkCommunity(f, { spec, origin: o.origin, aliases: o.aliases });
      return [];
    case 'AddressPool':
      warn(f, 'AddressPool is deprecated in MetalLB; translated as an IPPool and an L2Announcement');
      return translateAddressPool(f, { meta, spec });
    default:
      fail(f, `not translatable: unknown MetalLB kind ${o.kind}`);
      return [];
  }
}

function translateConfigMap(f: Findings, o: { value: Obj; sink: Sink }): Findings[] {
  const config = legacyConfig(o.value.data);
  if (config === undefined) {
    warn(f, 'skipped: a ConfigMap without MetalLB configuration in data.config');
    return [f];
  }
  const sub = (pool: string): Findings => findings(`${f.subject} address-pool ${pool}`);
  const units = translateLegacyConfig(f, { config, sub });
  for (const unit of units) {
    if (!hasErrors(unit.findings))
      acceptIfUnique(unit.findings, { translated: unit.translated, sink: o.sink });
  }
  return [f, ...units.map((u) => u.findings)];
}

/** Adds `translated` to the sink unless one of its names is taken; then it is an error on `f`. */
function acceptIfUnique(f: Findings, o: { translated: Translated[]; sink: Sink }): void {
  const keys = o.translated.map((t) => `${t.object.kind}/${t.object.metadata.name}`);
  const clash = keys.find((k) => o.sink.names.has(k));
  if (clash !== undefined) {
    fail(f, `${clash} already comes from an earlier object (ironlb objects are cluster-scoped)`);
    return;
  }
  for (const k of keys) o.sink.names.add(k);
  for (const t of o.translated)
    o.sink.objects.push({ ...t, comments: [`From ${f.subject}.`, ...t.comments] });
}

function qualifiedName(value: Obj): string {
  const meta = isObj(value.metadata) ? value.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '(unnamed)';
  return typeof meta.namespace === 'string' ? `${meta.namespace}/${name}` : name;
}

/** Keeps the name and labels (pool selectors match pool labels); drops the namespace. */
function readMeta(f: Findings, value: Obj): ObjectMeta {
  const meta = readObj(f, { obj: value, key: 'metadata', path: '' }) ?? {};
  const name = readString(f, { obj: meta, key: 'name', path: 'metadata' });
  if (name === undefined || name === '') fail(f, 'metadata.name is missing');
  const out: ObjectMeta = { name: name ?? '' };
  const labels = readStringMap(f, { obj: meta, key: 'labels', path: 'metadata' });
  if (labels !== undefined && Object.keys(labels).length > 0) out.labels = labels;
  const dropped = Object.keys(meta).filter((k) => !SERVER_METADATA.includes(k));
  if (dropped.length > 0) warn(f, `metadata fields dropped: ${dropped.join(', ')}`);
  return out;
}
