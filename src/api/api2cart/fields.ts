// Field selection as API2Cart does it: `params` (a comma list of an entity's fields, or force_all),
// `exclude` (fields to drop, with params=force_all) and `response_fields` (a brace tree over the whole
// response, e.g. {return_code,result{order{id,status{id}}}}).
import { A2C, A2cError } from './codes.ts';

type Obj = Record<string, unknown>;

/** Applies params/exclude to one entity. */
export function selectFields(entity: Obj, params: unknown, exclude: unknown): Obj {
  const wanted = typeof params === 'string' ? params.split(',').map((s) => s.trim()).filter(Boolean) : [];
  let out: Obj = entity;
  if (wanted.length > 0 && !wanted.includes('force_all')) {
    out = {};
    for (const f of wanted) if (f in entity) out[f] = entity[f];
  } else if (typeof exclude === 'string' && exclude.trim() !== '') {
    const drop = new Set(exclude.split(',').map((s) => s.trim()));
    out = Object.fromEntries(Object.entries(entity).filter(([k]) => !drop.has(k)));
  }
  return out;
}

export type FieldTree = Map<string, FieldTree | null>;

/** Parses `{a,b{c,d}}` (outer braces optional). */
export function parseResponseFields(text: string): FieldTree {
  let i = 0;
  const s = text.replace(/\s+/g, '');
  const fail = (): never => {
    throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: response_fields "${text.slice(0, 200)}" is not a field list such as {result{product{id,name}}}.`);
  };
  function list(closing: boolean): FieldTree {
    const tree: FieldTree = new Map();
    while (i < s.length) {
      const m = /^[A-Za-z0-9_\-]+/.exec(s.slice(i));
      if (!m) fail();
      const name = m![0];
      i += name.length;
      if (s[i] === '{') {
        i++;
        tree.set(name, list(true));
      } else tree.set(name, null);
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (s[i] === '}') {
        if (!closing) fail();
        i++;
        return tree;
      }
      if (i < s.length) fail();
    }
    if (closing) fail();
    return tree;
  }
  if (s.startsWith('{') && s.endsWith('}')) {
    i = 1;
    const t = list(true);
    if (i !== s.length) fail();
    return t;
  }
  return list(false);
}

/** Keeps what the tree names; a named subtree applies to an object or to each element of an array. */
export function applyFieldTree(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((v) => applyFieldTree(v, tree));
  if (value === null || typeof value !== 'object') return value;
  const out: Obj = {};
  for (const [k, sub] of tree) {
    if (!(k in (value as Obj))) continue;
    const v = (value as Obj)[k];
    out[k] = sub ? applyFieldTree(v, sub) : v;
  }
  return out;
}
