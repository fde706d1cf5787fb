// Depth and cost limits, as GraphQL validation rules: a query is rejected before any resolver runs when
// it nests deeper than the limit or when its estimated size (records it could return, with `first`
// and typical list lengths as multipliers) is over the budget.
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isInterfaceType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';

export const QUERY_TOO_DEEP = 'QUERY_TOO_DEEP';
export const QUERY_TOO_COSTLY = 'QUERY_TOO_COSTLY';

export interface CostOptions {
  maxCost: number;
  /** `first` when a paged field does not say. */
  defaultFirst: number;
  /** The largest `first` a paged field accepts (larger values fail in the resolver). */
  maxFirst: number;
  /** Expected length of embedded lists, by `Type.field`. */
  listSizes: Readonly<Record<string, number>>;
  defaultListSize: number;
  /** The request's variables, for `first: $n`. */
  variables?: Readonly<Record<string, unknown>> | undefined;
}

export interface QueryLimits extends Omit<CostOptions, 'variables'> {
  maxDepth: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxCost: 50_000,
  defaultFirst: 50,
  maxFirst: 250,
  listSizes: { 'Order.lines': 5, 'Order.shipments': 2, 'Product.variants': 5, 'Variant.inventory': 3 },
  defaultListSize: 5,
};

const isIntrospection = (field: FieldNode) => field.name.value.startsWith('__');

/** Rejects operations nested deeper than `maxDepth` fields (introspection fields are not counted). */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return function DepthLimit(context: ValidationContext) {
    const fragmentDepth = new Map<string, number>();
    const depthOf = (set: SelectionSetNode | undefined, seen: ReadonlySet<string>): number => {
      if (!set) return 0;
      let max = 0;
      for (const sel of set.selections) {
        let d = 0;
        if (sel.kind === Kind.FIELD) {
          if (isIntrospection(sel)) continue;
          d = 1 + depthOf(sel.selectionSet, seen);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          d = depthOf(sel.selectionSet, seen);
        } else {
          const name = sel.name.value;
          // A fragment cycle is reported by graphql's own NoFragmentCycles rule; here it just stops.
          if (seen.has(name)) continue;
          const known = fragmentDepth.get(name);
          if (known !== undefined) d = known;
          else {
            d = depthOf(context.getFragment(name)?.selectionSet, new Set(seen).add(name));
            fragmentDepth.set(name, d);
          }
        }
        if (d > max) max = d;
      }
      return max;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`The query is ${depth} levels deep; the limit is ${maxDepth}. Ask for fewer nested fields.`, {
              nodes: [node],
              extensions: { code: QUERY_TOO_DEEP, depth, max_depth: maxDepth },
            }),
          );
        }
      },
    };
  };
}

/**
 * Rejects operations whose estimated cost is over `maxCost`. Each object a query can return costs 1,
 * leaves cost nothing; a paged field multiplies its edges and nodes by `first`, an embedded list its
 * items by the expected list size. So `orders(first: 100) { nodes { lines { sku } } }` costs
 * 1 + 100 × (1 + 5).
 */
export function costLimitRule(options: CostOptions): ValidationRule {
  return function CostLimit(context: ValidationContext) {
    const schema = context.getSchema();
    let operation: OperationDefinitionNode | undefined;

    const variableValue = (name: string): unknown => {
      if (options.variables && name in options.variables) return options.variables[name];
      const def = operation?.variableDefinitions?.find((v) => v.variable.name.value === name);
      return def?.defaultValue?.kind === Kind.INT ? Number(def.defaultValue.value) : undefined;
    };

    /** The page size a paged field asks for, or null when the field is not paged. */
    const pageSizeOf = (node: FieldNode, def: GraphQLField<unknown, unknown>): number | null => {
      const argDef = def.args.find((a) => a.name === 'first');
      if (!argDef) return null;
      const arg = node.arguments?.find((a) => a.name.value === 'first');
      let value: unknown;
      if (arg?.value.kind === Kind.INT) value = Number(arg.value.value);
      else if (arg?.value.kind === Kind.VARIABLE) value = variableValue(arg.value.name.value);
      if (typeof value !== 'number' || !Number.isFinite(value)) value = typeof argDef.defaultValue === 'number' ? argDef.defaultValue : options.defaultFirst;
      return Math.min(Math.max(value as number, 0), options.maxFirst);
    };

    const fragmentCost = new Map<string, number>();

    /** Cost of one object of `type` with this selection; `pageSize` is set inside a paged field. */
    const costOf = (set: SelectionSetNode | undefined, type: GraphQLNamedType | undefined, pageSize: number | null, seen: ReadonlySet<string>): number => {
      if (!set || !type) return 0;
      let total = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (isIntrospection(sel) || !(isObjectType(type) || isInterfaceType(type))) continue;
          const def = type.getFields()[sel.name.value];
          if (!def) continue;
          const named = getNamedType(def.type);
          if (isLeafType(named)) continue;
          const first = pageSizeOf(sel, def);
          if (first !== null) total += 1 + costOf(sel.selectionSet, named, first, seen);
          else if (isListType(getNullableType(def.type))) {
            const n = pageSize ?? options.listSizes[`${type.name}.${def.name}`] ?? options.defaultListSize;
            total += n * (1 + costOf(sel.selectionSet, named, null, seen));
          } else total += 1 + costOf(sel.selectionSet, named, null, seen);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          const inner = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
          total += costOf(sel.selectionSet, inner, pageSize, seen);
        } else {
          const name = sel.name.value;
          if (seen.has(name)) continue;
          const key = `${name}:${pageSize}`;
          let cost = fragmentCost.get(key);
          if (cost === undefined) {
            const fragment = context.getFragment(name);
            cost = fragment ? costOf(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), pageSize, new Set(seen).add(name)) : 0;
            fragmentCost.set(key, cost);
          }
          total += cost;
        }
      }
      return total;
    };

    return {
      OperationDefinition(node) {
        operation = node;
        const cost = costOf(node.selectionSet, schema.getRootType(node.operation) ?? undefined, null, new Set());
        if (cost > options.maxCost) {
          context.reportError(
            new GraphQLError(
              `The query's estimated cost is ${Math.round(cost)}, over the limit of ${options.maxCost}. Ask for fewer records per page (first) or fewer nested lists.`,
              { nodes: [node], extensions: { code: QUERY_TOO_COSTLY, cost: Math.round(cost), max_cost: options.maxCost } },
            ),
          );
        }
      },
    };
  };
}

/**
 * A Yoga plugin adding both rules to every validation, with the request's variables for the cost.
 * Yoga's validation cache must be off with it: the cost of one document depends on its variables.
 */
export function useQueryLimits(limits: QueryLimits = DEFAULT_LIMITS): Plugin<YogaInitialContext> {
  return {
    onValidate({ addValidationRule, context }) {
      const variables = context.params?.variables;
      addValidationRule(depthLimitRule(limits.maxDepth));
      addValidationRule(costLimitRule({ ...limits, variables: variables && typeof variables === 'object' ? variables : undefined }));
    },
  };
}
