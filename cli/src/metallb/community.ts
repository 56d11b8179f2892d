import { err, ok, parseCommunity, type Result } from '@ironlb/shared';
import { fail, warn, type Findings } from './diagnostics.js';
import { isObj, readObjList, readString, warnUnknownFields, type Obj } from './fields.js';

/**
 * MetalLB `Community` objects hold named aliases of community values, used by BGPAdvertisements. ironlb has
 * no such kind: the importer replaces each alias by its value in the advertisements. Aliases are collected
 * from the whole input first (a Community may come after the advertisement that uses it); the first
 * definition of a name wins, a later different one is an error on the later Community.
 */
export interface Alias {
  value: string;
  /** The input document that defined it (`file#n`). */
  origin: string;
}
export type AliasTable = ReadonlyMap<string, Alias>;

const U16 = 0xffff;
const U32 = 0xffffffff;

function inRange(parts: readonly string[], max: number): boolean {
  return parts.every((p) => /^[0-9]{1,10}$/u.test(p) && Number(p) <= max);
}

/** A MetalLB community value (`AA:NN` or `large:A:B:C`, leading zeros allowed) in ironlb's canonical text. */
function normaliseCommunity(text: string): Result<string> {
  const parts = text.split(':');
  if (parts.length === 2 && inRange(parts, U16)) return ok(parts.map(Number).join(':'));
  if (parts.length === 4 && parts[0] === 'large' && inRange(parts.slice(1), U32)) {
    return ok(`large:${parts.slice(1).map(Number).join(':')}`);
  }
  return err(`'${text}' is not a BGP community value (AA:NN or large:A:B:C)`);
}

function aliasesOf(spec: unknown): { name: unknown; value: unknown }[] {
  if (!isObj(spec) || !Array.isArray(spec.communities)) return [];
  return spec.communities.filter(isObj).map((a) => ({ name: a.name, value: a.value }));
}

/** Every valid alias of the Community objects among `docs` (first definition of a name wins). */
export function collectAliases(docs: readonly { origin: string; value: unknown }[]): AliasTable {
  const table = new Map<string, Alias>();
  for (const doc of docs) {
    const v = doc.value;
    if (!isObj(v) || v.kind !== 'Community' || typeof v.apiVersion !== 'string') continue;
    if (!v.apiVersion.startsWith('metallb.io/')) continue;
    for (const { name, value } of aliasesOf(v.spec)) {
      if (typeof name !== 'string' || typeof value !== 'string' || table.has(name)) continue;
      const normalised = normaliseCommunity(value);
      if (normalised.ok) table.set(name, { value: normalised.value, origin: doc.origin });
    }
  }
  return table;
}

/** Checks one Community object (no output): bad or conflicting aliases are errors, the rest a warning. */
export function checkCommunity(f: Findings, o: { spec: Obj; origin: string; aliases: AliasTable }): void {
  warnUnknownFields(f, { obj: o.spec, path: 'spec', known: ['communities'] });
  const list = readObjList(f, { obj: o.spec, key: 'communities', path: 'spec' }) ?? [];
  const names: string[] = [];
  list.forEach((raw, i) => {
    const path = `spec.communities[${i}]`;
    warnUnknownFields(f, { obj: raw, path, known: ['name', 'value'] });
    const name = readString(f, { obj: raw, key: 'name', path });
    const value = readString(f, { obj: raw, key: 'value', path });
    if (name === undefined || name === '' || value === undefined) {
      fail(f, `${path} needs a name and a value`);
      return;
    }
    const normalised = normaliseCommunity(value);
    if (!normalised.ok) {
      fail(f, `${path}.value: ${normalised.error}`);
      return;
    }
    const known = o.aliases.get(name);
    if (known !== undefined && known.origin !== o.origin && known.value !== normalised.value) {
      fail(f, `${path}: alias ${name} is already ${known.value} (from ${known.origin})`);
      return;
    }
    names.push(name);
  });
  if (names.length > 0) {
    warn(
      f,
      `not written: ironlb has no Community kind; ${names.join(', ')} replaced by their values in the BGPAdvertisements that use them`,
    );
  }
}

/**
 * MetalLB advertisement communities → ironlb's: a value is kept (canonical text), an alias replaced by its
 * value, a well-known name ironlb knows (no-export, ...) kept; anything else is an error on `f`.
 */
export function resolveCommunities(
  f: Findings,
  o: { list: readonly string[]; aliases: AliasTable; path: string },
): string[] {
  const out: string[] = [];
  o.list.forEach((entry, i) => {
    const value = normaliseCommunity(entry);
    const alias = o.aliases.get(entry);
    if (value.ok) out.push(value.value);
    else if (alias !== undefined) out.push(alias.value);
    else if (parseCommunity(entry) !== undefined) out.push(entry);
    else
      fail(
        f,
        `${o.path}[${i}]: '${entry}' is neither a community value nor an alias of a Community in the input`,
      );
  });
  return [...new Set(out)];
}
