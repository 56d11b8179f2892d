import { fail, warn, type Findings } from './diagnostics.js';

/** Plain-object checks and typed field readers. A reader reports a wrong type as an error on `f`
 *  and returns undefined; an absent (undefined or null) field is undefined without a finding. */

export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Warns once per key of `obj` not in `known`, naming it by its path (`spec.foo`). */
export function warnUnknownFields(
  f: Findings,
  o: { obj: Obj; path: string; known: readonly string[] },
): void {
  for (const key of Object.keys(o.obj)) {
    if (!o.known.includes(key)) warn(f, `unknown field ${o.path}.${key} ignored`);
  }
}

interface Field {
  obj: Obj;
  key: string;
  /** Path of `obj` in the document, '' for the top level. */
  path: string;
}

/** `spec.addresses`, or `spec` for a top-level field. */
export function fieldPath(field: { key: string; path: string }): string {
  return field.path === '' ? field.key : `${field.path}.${field.key}`;
}

export function readString(f: Findings, field: Field): string | undefined {
  const v = field.obj[field.key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  fail(f, `${fieldPath(field)} must be a string`);
  return undefined;
}

export function readBool(f: Findings, field: Field): boolean | undefined {
  const v = field.obj[field.key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  fail(f, `${fieldPath(field)} must be true or false`);
  return undefined;
}

export function readInt(f: Findings, field: Field): number | undefined {
  const v = field.obj[field.key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  fail(f, `${fieldPath(field)} must be an integer`);
  return undefined;
}

export function readStringList(f: Findings, field: Field): string[] | undefined {
  const v = field.obj[field.key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return v;
  fail(f, `${fieldPath(field)} must be a list of strings`);
  return undefined;
}

export function readObjList(f: Findings, field: Field): Obj[] | undefined {
  const v = field.obj[field.key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && v.every(isObj)) return v;
  fail(f, `${fieldPath(field)} must be a list of objects`);
  return undefined;
}

export function readObj(f: Findings, field: Field): Obj | undefined {
  const v = field.obj[field.key];
  if (v === undefined || v === null) return undefined;
  if (isObj(v)) return v;
  fail(f, `${fieldPath(field)} must be an object`);
  return undefined;
}

/** A string map such as metadata.labels or matchLabels. */
export function readStringMap(f: Findings, field: Field): Record<string, string> | undefined {
  const v = readObj(f, field);
  if (v === undefined) return undefined;
  const entries = Object.entries(v);
  if (entries.every(([, x]) => typeof x === 'string')) return v as Record<string, string>;
  fail(f, `${fieldPath(field)} values must be strings`);
  return undefined;
}
