// Query cost as Shopify publishes it for the Admin GraphQL API (shopify.dev, "GraphQL Admin API rate limits"):
// scalars and enums 0, objects 1, interfaces and unions the maximum of their possible selections, connections
// sized by `first`/`last` (2 points for the connection plus the page size times the cost of one node),
// mutations 10. The requested cost is computed from the document before it runs (and refused over the
// single-query maximum); the actual cost is counted while it runs (see `CostMeter`), so null objects and short
// pages cost less and the difference is refunded to the bucket.
//
// The same static walk enforces the connection rules: `first` or `last` is required, at most 250.
import {
  getArgumentValues,
  getNamedType,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export const MAX_PAGE_SIZE = 250;
export const MAX_SINGLE_QUERY_COST = 1000;
export const MUTATION_COST = 10;
export const CONNECTION_BASE_COST = 2;

export interface StaticError {
  message: string;
  path: string[];
  code: string;
}

/** A connection type in Shopify's relay shape (`edges`, `nodes`, `pageInfo`). */
export function isConnectionType(t: GraphQLNamedType): boolean {
  if (!isObjectType(t) || !t.name.endsWith('Connection')) return false;
  const f = t.getFields();
  return 'edges' in f && 'pageInfo' in f;
}

function unwrap(t: GraphQLOutputType): GraphQLOutputType {
  return isNonNullType(t) ? t.ofType : t;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  errors: StaticError[];
}

/**
 * The requested cost of an operation, with the connection-argument errors found on the way. `variables` are the
 * coerced variable values (page sizes usually arrive as `$first`).
 */
export function requestedCost(
  schema: GraphQLSchema,
  op: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): { cost: number; errors: StaticError[] } {
  const w: Walk = { schema, fragments, variables, errors: [] };
  const root = op.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!root) return { cost: 0, errors: [] };
  const rootPath = [op.operation];
  let cost = 0;
  for (const sel of flatFields(w, op.selectionSet, root)) {
    const def = root.getFields()[sel.name.value];
    if (!def) continue;
    if (op.operation === 'mutation') {
      // A mutation costs 10; what its payload selects is free except connections it pages through.
      cost += MUTATION_COST + selectionCost(w, sel.selectionSet, getNamedType(def.type), [...rootPath, sel.name.value], true);
    } else cost += fieldCost(w, sel, def, [...rootPath, sel.name.value], false);
  }
  return { cost, errors: w.errors };
}

/** Fields selected directly on `parent` (fragments on the same or a wider type inlined). */
function flatFields(w: Walk, set: SelectionSetNode, parent: GraphQLCompositeType): FieldNode[] {
  const out: FieldNode[] = [];
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) out.push(s);
    else {
      const frag = s.kind === Kind.INLINE_FRAGMENT ? s : w.fragments[s.name.value];
      if (!frag) continue;
      const cond = frag.typeCondition?.name.value;
      if (!cond || cond === parent.name) out.push(...flatFields(w, frag.selectionSet, parent));
    }
  }
  return out;
}

/**
 * Cost of a selection set on `parent`: the fields common to every possible type, plus the most expensive
 * type-conditioned branch (Shopify: "maximum of possible selections").
 */
function selectionCost(w: Walk, set: SelectionSetNode | undefined, parent: GraphQLNamedType, path: string[], freeObjects: boolean): number {
  if (!set || isLeafType(parent)) return 0;
  const parentType = parent as GraphQLCompositeType;
  let common = 0;
  const branches = new Map<string, number>();
  const visit = (s: SelectionSetNode, on: GraphQLCompositeType, branch: string | null) => {
    for (const sel of s.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value === '__typename') continue;
        const fields = isObjectType(on) || 'getFields' in on ? (on as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields() : {};
        const def = fields[sel.name.value];
        if (!def) continue;
        const c = fieldCost(w, sel, def, [...path, sel.name.value], freeObjects);
        if (branch) branches.set(branch, (branches.get(branch) ?? 0) + c);
        else common += c;
        continue;
      }
      const frag = sel.kind === Kind.INLINE_FRAGMENT ? sel : w.fragments[sel.name.value];
      if (!frag) continue;
      const cond = frag.typeCondition?.name.value;
      const condType = cond ? (w.schema.getType(cond) as GraphQLCompositeType | undefined) : on;
      if (!condType) continue;
      const narrows = cond && cond !== parentType.name && isAbstractType(parentType);
      visit(frag.selectionSet, condType, narrows ? cond : branch);
    }
  };
  visit(set, parentType, null);
  return common + Math.max(0, ...branches.values());
}

function fieldCost(w: Walk, node: FieldNode, def: GraphQLField<unknown, unknown>, path: string[], freeObjects: boolean): number {
  const named = getNamedType(def.type);
  if (isLeafType(named)) return 0;
  if (isConnectionType(named)) return connectionCost(w, node, def, named, path);
  const children = selectionCost(w, node.selectionSet, named, path, freeObjects);
  const own = freeObjects ? 0 : 1;
  // A plain list of objects asked by ids (`nodes(ids:)`) costs one object per id.
  if (isListType(unwrap(def.type))) {
    const args = safeArgs(w, def, node);
    const ids = args?.ids;
    if (Array.isArray(ids)) return ids.length * (own + children);
  }
  return own + children;
}

function safeArgs(w: Walk, def: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> | null {
  try {
    return getArgumentValues(def, node, w.variables);
  } catch {
    return null; // graphql-js validation reports bad arguments
  }
}

function connectionCost(w: Walk, node: FieldNode, def: GraphQLField<unknown, unknown>, type: GraphQLNamedType, path: string[]): number {
  const args = safeArgs(w, def, node) ?? {};
  const first = typeof args.first === 'number' ? args.first : null;
  const last = typeof args.last === 'number' ? args.last : null;
  if (first === null && last === null) w.errors.push({ message: 'you must provide one of first or last', path, code: 'MISSING_PAGE_SIZE' });
  for (const [name, n] of [['first', first], ['last', last]] as const) {
    if (n !== null && n > MAX_PAGE_SIZE) {
      w.errors.push({ message: `The maximum number of items that can be requested with \`${name}\` is ${MAX_PAGE_SIZE}; ${n} was requested.`, path, code: 'MAX_PAGE_SIZE_EXCEEDED' });
    }
    if (n !== null && n < 0) w.errors.push({ message: `\`${name}\` must be 0 or more.`, path, code: 'INVALID_PAGE_SIZE' });
  }
  const size = Math.min(Math.max(first ?? last ?? 0, 0), MAX_PAGE_SIZE);
  // One node: what `edges { node { … } }` and `nodes { … }` select (the edge and pageInfo are free).
  let perNode = 0;
  const conn = type as GraphQLCompositeType;
  for (const sel of flatFields(w, node.selectionSet ?? { kind: Kind.SELECTION_SET, selections: [] }, conn)) {
    const fname = sel.name.value;
    const fdef = (conn as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()[fname];
    if (!fdef) continue;
    if (fname === 'nodes') perNode = Math.max(perNode, 1 + selectionCost(w, sel.selectionSet, getNamedType(fdef.type), [...path, 'nodes'], false));
    else if (fname === 'edges') {
      const edgeType = getNamedType(fdef.type) as GraphQLCompositeType;
      for (const e of flatFields(w, sel.selectionSet ?? { kind: Kind.SELECTION_SET, selections: [] }, edgeType)) {
        const edef = (edgeType as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()[e.name.value];
        if (e.name.value === 'node' && edef) perNode = Math.max(perNode, 1 + selectionCost(w, e.selectionSet, getNamedType(edef.type), [...path, 'edges', 'node'], false));
      }
    }
  }
  return CONNECTION_BASE_COST + size * perNode;
}

/**
 * The actual cost, counted by the resolvers as values come back: 1 per non-null object (0 inside a mutation's
 * payload outside connections), 2 per connection, nothing for scalars, edges and pageInfo.
 */
export class CostMeter {
  actual = 0;
  /** Values under a connection (inside a mutation these cost, elsewhere in a payload they do not). */
  readonly insideConnection = new WeakSet<object>();
  constructor(readonly mutation: boolean) {}
}
