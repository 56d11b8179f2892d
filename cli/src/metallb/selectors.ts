import {
  err,
  ok,
  type LabelSelector,
  type LabelSelectorRequirement,
  type Result,
  type SelectorOperator,
} from '@ironlb/shared';
import { fail, warn, type Findings } from './diagnostics.js';
import {
  fieldPath,
  readObjList,
  readStringList,
  readStringMap,
  warnUnknownFields,
  type Obj,
} from './fields.js';

/**
 * Label selectors. MetalLB takes LISTS of selectors that are ORed; ironlb takes ONE selector per field.
 * `combineSelectors` turns a list into one selector only when that is exact:
 * - one selector: itself;
 * - several selectors that each test one key with equality or `In`, all the same key: `key In (union)`.
 * Anything else cannot be written as a single selector and is returned as an error value.
 */

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function isOperator(value: unknown): value is SelectorOperator {
  return OPERATORS.some((o) => o === value);
}

/** Reads `obj[key]` as a list of label selectors; reports malformed entries on `f`. */
export function readSelectors(f: Findings, field: { obj: Obj; key: string; path: string }): LabelSelector[] {
  const list = readObjList(f, field) ?? [];
  return list.map((raw, i) => readSelector(f, { raw, path: `${fieldPath(field)}[${i}]` }));
}

function readSelector(f: Findings, o: { raw: Obj; path: string }): LabelSelector {
  warnUnknownFields(f, { obj: o.raw, path: o.path, known: ['matchLabels', 'matchExpressions'] });
  const selector: LabelSelector = {};
  const labels = readStringMap(f, { obj: o.raw, key: 'matchLabels', path: o.path });
  if (labels !== undefined) selector.matchLabels = labels;
  const exprs = readObjList(f, { obj: o.raw, key: 'matchExpressions', path: o.path });
  if (exprs !== undefined) {
    selector.matchExpressions = exprs.map((e, i) =>
      readRequirement(f, { raw: e, path: `${o.path}.matchExpressions[${i}]` }),
    );
  }
  return selector;
}

function readRequirement(f: Findings, o: { raw: Obj; path: string }): LabelSelectorRequirement {
  warnUnknownFields(f, { obj: o.raw, path: o.path, known: ['key', 'operator', 'values'] });
  const { key, operator } = o.raw;
  if (typeof key !== 'string' || key === '') fail(f, `${o.path}.key must be a non-empty string`);
  if (!isOperator(operator)) fail(f, `${o.path}.operator must be one of ${OPERATORS.join(', ')}`);
  // A bad operator is an error on f: the object is not written, so 'In' here is never output.
  const req: LabelSelectorRequirement = {
    key: String(key),
    operator: isOperator(operator) ? operator : 'In',
  };
  const values = readStringList(f, { obj: o.raw, key: 'values', path: o.path });
  if (values !== undefined) req.values = values;
  return req;
}

/** One selector equivalent to the OR of `list`, or why there is none. `list` must not be empty. */
export function combineSelectors(list: readonly LabelSelector[]): Result<LabelSelector> {
  const [first, ...rest] = list;
  if (first === undefined) throw new Error('combineSelectors: empty list');
  if (rest.length === 0) return ok(first);
  const tests = list.map(singleKeyTest);
  const key = tests[0]?.key;
  if (key === undefined || !tests.every((t) => t !== undefined && t.key === key)) {
    return err(`${list.length} selectors are ORed and are not all equality tests on one label key`);
  }
  const values = [...new Set(tests.flatMap((t) => t?.values ?? []))];
  return ok({ matchExpressions: [{ key, operator: 'In', values }] });
}

/** The selector as "label `key` is one of `values`", if it is exactly one such test. */
function singleKeyTest(s: LabelSelector): { key: string; values: string[] } | undefined {
  const labels = Object.entries(s.matchLabels ?? {});
  const exprs = s.matchExpressions ?? [];
  if (labels.length === 1 && exprs.length === 0) {
    const [key, value] = labels[0] ?? ['', ''];
    return { key, values: [value] };
  }
  const [expr] = exprs;
  if (labels.length === 0 && exprs.length === 1 && expr?.operator === 'In' && expr.values !== undefined) {
    return { key: expr.key, values: expr.values };
  }
  return undefined;
}

/** Reads a selector list and combines it for a single-selector ironlb field: undefined when absent
 *  or empty; an error on `f` when the list cannot be expressed as one selector. */
export function readSingleSelector(
  f: Findings,
  field: { obj: Obj; key: string; path: string; target: string },
): LabelSelector | undefined {
  const list = readSelectors(f, field);
  if (list.length === 0) return undefined;
  const combined = combineSelectors(list);
  if (!combined.ok) {
    fail(f, `${fieldPath(field)}: ${combined.error}; ironlb's ${field.target} is a single selector`);
    return undefined;
  }
  if (list.length > 1) warn(f, `${fieldPath(field)}: ${list.length} selectors merged into one "In" selector`);
  return combined.value;
}
