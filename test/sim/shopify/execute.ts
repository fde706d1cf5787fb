// One Admin GraphQL request, as Shopify handles it: parse and validate against the 2026-10 schema (graphql-js),
// refuse connection fields without `first`/`last` or above 250, compute the requested cost and refuse it above
// the single-query maximum, take it from the app's leaky bucket (THROTTLED when the bucket lacks it), run the
// operation over the simulator's views, count the actual cost and refund the rest. Every refusal is HTTP 200
// with an `errors` array, as Shopify answers; every answer that got as far as costing carries `extensions.cost`.
import { createHash } from 'node:crypto';
import {
  execute,
  getNamedType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isAbstractType,
  isEnumType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { CostMeter, isConnectionType, MAX_SINGLE_QUERY_COST, requestedCost } from './cost.ts';
import { mutationRoot, queryRoot, type WebhookEvent } from './mutations.ts';
import { adminSchema } from './schema.ts';
import type { ShopifyState } from './state.ts';
import { Listing, Views } from './views.ts';

export const RATE_LIMITS_DOC = 'https://shopify.dev/api/usage/rate-limits';

/** Shopify's leaky bucket of cost points per (app, shop). */
export class LeakyBucket {
  #available: number;
  #at: number;
  constructor(
    readonly maximumAvailable: number,
    readonly restoreRate: number,
    readonly clock: () => number,
  ) {
    this.#available = maximumAvailable;
    this.#at = clock();
  }
  get currentlyAvailable(): number {
    const now = this.clock();
    // A clock moved back (tests) restores nothing and takes nothing.
    this.#available = Math.min(this.maximumAvailable, this.#available + (Math.max(0, now - this.#at) / 1000) * this.restoreRate);
    this.#at = now;
    return this.#available;
  }
  take(points: number): boolean {
    if (this.currentlyAvailable < points) return false;
    this.#available -= points;
    return true;
  }
  refund(points: number): void {
    this.#available = Math.min(this.maximumAvailable, this.currentlyAvailable + points);
  }
  drain(points: number): void {
    this.#available = Math.max(0, this.currentlyAvailable - points);
  }
  status() {
    return { maximumAvailable: this.maximumAvailable, currentlyAvailable: Math.floor(this.currentlyAvailable), restoreRate: this.restoreRate };
  }
}

export interface SimContext {
  state: ShopifyState;
  views: Views;
  meter: CostMeter;
  appId: string;
  scopes: Set<string>;
  /** bulk run: connections answer every row, no page size needed */
  bulk: boolean;
  events: WebhookEvent[];
  idempotency: Map<string, { fingerprint: string; result: () => unknown }>;
  replays: string[];
  pendingCancels: Set<number>;
  jobDelayMs: number;
  maxConcurrentBulk: number;
  schedule(ms: number, fn: () => void): void;
  emitLater(topic: string, payload: Record<string, unknown>): void;
  checkBulkQuery(query: string): string | null;
  startBulk(id: number): void;
  Listing: typeof Listing;
}

export interface GraphQLAnswer {
  data?: unknown;
  errors?: { message: string; locations?: readonly { line: number; column: number }[]; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: { cost: { requestedQueryCost: number; actualQueryCost: number | null; throttleStatus: ReturnType<LeakyBucket['status']> } };
}

const PAGING = new Set(['first', 'last', 'after', 'before']);

function encodeCursor(bind: string, key: { sort: string | number; id: number }): string {
  return Buffer.from(JSON.stringify({ b: bind, s: key.sort, i: key.id })).toString('base64url');
}
function decodeCursor(cursor: unknown): { b: string; s: string | number; i: number } | null {
  if (typeof cursor !== 'string') return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { b?: unknown; s?: unknown; i?: unknown };
    return typeof v.b === 'string' && (typeof v.s === 'string' || typeof v.s === 'number') && typeof v.i === 'number' ? { b: v.b, s: v.s, i: v.i } : null;
  } catch {
    return null;
  }
}

/** What a cursor is bound to: the connection field, its owner and every argument except the paging ones. */
function bindingOf(info: GraphQLResolveInfo, args: Record<string, unknown>, source: unknown): string {
  const rest = Object.fromEntries(Object.entries(args).filter(([k]) => !PAGING.has(k)).sort(([a], [b]) => (a < b ? -1 : 1)));
  const owner = (source as { id?: unknown } | null)?.id ?? 'root';
  return createHash('sha256').update(`${info.parentType.name}.${info.fieldName}|${String(owner)}|${JSON.stringify(rest)}`).digest('base64url').slice(0, 16);
}

function pageOf<T>(listing: Listing<T>, args: Record<string, unknown>, info: GraphQLResolveInfo, ctx: SimContext, source: unknown): Record<string, unknown> {
  const conn = getNamedType(info.returnType) as GraphQLObjectType;
  const edgeType = getNamedType(conn.getFields().edges.type).name;
  const bind = bindingOf(info, args, source);
  const dir = args.reverse === true ? -1 : 1;
  const cmp = (a: { sort: string | number; id: number }, b: { sort: string | number; id: number }) => dir * (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : a.id - b.id);
  const position = (cursor: unknown, name: string): { s: string | number; i: number } => {
    const c = decodeCursor(cursor);
    if (!c || c.b !== bind) throw new GraphQLError(`Invalid cursor for current pagination sort: the \`${name}\` cursor was not issued for this query.`, { extensions: { code: 'BAD_REQUEST' } });
    return { s: c.s, i: c.i };
  };
  let rows = listing.rows;
  if (args.after != null) {
    const p = position(args.after, 'after');
    rows = rows.filter((r) => cmp(listing.key(r), { sort: p.s, id: p.i }) > 0);
  }
  if (args.before != null) {
    const p = position(args.before, 'before');
    rows = rows.filter((r) => cmp(listing.key(r), { sort: p.s, id: p.i }) < 0);
  }
  const total = rows.length;
  let slice = rows;
  if (!ctx.bulk) {
    if (typeof args.first === 'number') slice = slice.slice(0, args.first);
    if (typeof args.last === 'number') slice = slice.slice(Math.max(0, slice.length - args.last));
  }
  const startIdx = rows.indexOf(slice[0]);
  const cursors = slice.map((r) => encodeCursor(bind, listing.key(r)));
  const nodes = () => slice.map((r) => listing.node(r));
  return {
    __typename: conn.name,
    edges: () => {
      const ns = nodes();
      return slice.map((_, i) => ({ __typename: edgeType, cursor: cursors[i], node: ns[i] }));
    },
    nodes,
    pageInfo: {
      __typename: 'PageInfo',
      hasNextPage: slice.length > 0 ? startIdx + slice.length < total : false,
      hasPreviousPage: args.after != null || (slice.length > 0 && startIdx > 0),
      startCursor: cursors[0] ?? null,
      endCursor: cursors[cursors.length - 1] ?? null,
    },
  };
}

const SCALAR_DEFAULTS: Record<string, unknown> = { String: '', ID: '', Boolean: false, Int: 0, Float: 0, DateTime: '1970-01-01T00:00:00Z', Decimal: '0.0', Money: '0.0', UnsignedInt64: '0', URL: 'https://example.invalid/', HTML: '', JSON: {}, FormattedString: '', Date: '1970-01-01', Color: '#000000', UtcOffset: '+00:00', ARN: '', BigInt: '0' };

/** A schema-shaped stand-in for a field the simulator does not model: null, or an empty value where null is not allowed. */
function synthesize(t: GraphQLOutputType, schema: GraphQLSchema): unknown {
  if (!isNonNullType(t)) return null;
  const inner = t.ofType;
  if (isListType(inner)) return [];
  if (isScalarType(inner)) return SCALAR_DEFAULTS[inner.name] ?? '';
  if (isEnumType(inner)) return inner.getValues()[0].value;
  if (isConnectionType(inner)) return new Listing([], () => ({ sort: 0, id: 0 }), () => ({ __typename: 'Unknown' }));
  if (isObjectType(inner)) return { __typename: inner.name };
  if (isAbstractType(inner)) return { __typename: schema.getPossibleTypes(inner)[0]?.name };
  return null;
}

export class ShopifyEngine {
  readonly schema: GraphQLSchema;
  readonly views: Views;
  /** `Type.field` the simulator answered from the schema alone, with how often */
  readonly unmodeled = new Map<string, number>();
  readonly fieldResolver: GraphQLFieldResolver<unknown, SimContext>;

  constructor(readonly state: ShopifyState) {
    this.schema = adminSchema().schema;
    this.views = new Views(state);
    const unmodeled = this.unmodeled;
    const schema = this.schema;
    this.fieldResolver = (source, args, ctx, info) => {
      const raw = (source as Record<string, unknown> | null)?.[info.fieldName];
      let value = typeof raw === 'function' ? (raw as (a: unknown, c: SimContext, i: GraphQLResolveInfo) => unknown)(args, ctx, info) : raw;
      if (value === undefined) {
        const k = `${info.parentType.name}.${info.fieldName}`;
        unmodeled.set(k, (unmodeled.get(k) ?? 0) + 1);
        value = synthesize(info.returnType, schema);
      }
      const named = getNamedType(info.returnType);
      if (value instanceof Listing) value = pageOf(value, args, info, ctx, source);
      this.#meter(ctx, info, named, source, value);
      return value;
    };
  }

  /** Actual cost: counted as objects come back (see cost.ts for the rules). */
  #meter(ctx: SimContext, info: GraphQLResolveInfo, named: GraphQLNamedType, source: unknown, value: unknown): void {
    const m = ctx.meter;
    if (info.parentType === this.schema.getMutationType()) {
      m.actual += 10;
      return;
    }
    if (value == null || isLeafType(named)) return;
    const parentName = info.parentType.name;
    const free = named.name === 'PageInfo' || (named.name.endsWith('Edge') && isConnectionType(info.parentType));
    const inside = !m.mutation || (source !== null && typeof source === 'object' && m.insideConnection.has(source));
    const mark = (v: unknown) => {
      if (m.mutation && v && typeof v === 'object') m.insideConnection.add(v);
    };
    if (isConnectionType(named)) {
      m.actual += 2;
      mark(value);
      return;
    }
    const items = Array.isArray(value) ? value.filter((x) => x != null) : [value];
    for (const it of items) if (inside || parentName.endsWith('Connection') || parentName.endsWith('Edge')) mark(it);
    if (free || !inside || !items.length) return;
    // A connection's nodes and `nodes(ids:)` cost one per object; any other list of objects costs one, as requested.
    const perItem = !Array.isArray(value) || parentName.endsWith('Connection') || (info.parentType === this.schema.getQueryType() && info.fieldName === 'nodes');
    m.actual += perItem ? items.length : 1;
  }

  context(over: Partial<SimContext> & Pick<SimContext, 'appId' | 'scopes' | 'meter'>, host: Omit<SimContext, 'state' | 'views' | 'meter' | 'appId' | 'scopes' | 'bulk' | 'events' | 'Listing'>): SimContext {
    return { state: this.state, views: this.views, bulk: false, events: [], Listing, ...host, ...over };
  }

  /** Parses and validates a document; the errors Shopify would answer, or the document. */
  check(query: string): { doc: DocumentNode } | { errors: GraphQLAnswer['errors'] } {
    let doc: DocumentNode;
    try {
      doc = parse(query);
    } catch (e) {
      const g = e as GraphQLError;
      return { errors: [{ message: g.message, locations: g.locations, extensions: { code: 'PARSE_ERROR' } }] };
    }
    const errors = validate(this.schema, doc);
    if (errors.length) return { errors: errors.map((g) => ({ message: g.message, locations: g.locations, extensions: { code: validationCode(g.message) } })) };
    return { doc };
  }

  /** Runs one request body against the app's bucket. */
  async run(body: { query?: unknown; variables?: unknown; operationName?: unknown }, bucket: LeakyBucket, ctx: SimContext): Promise<GraphQLAnswer> {
    const checked = this.check(String(body.query));
    if ('errors' in checked) return { errors: checked.errors };
    const doc = checked.doc;
    const op = getOperationAST(doc, typeof body.operationName === 'string' ? body.operationName : undefined);
    if (!op) return { errors: [{ message: 'An operation name is required when the document holds several operations.', extensions: { code: 'BAD_REQUEST' } }] };
    if (op.operation === 'subscription') return { errors: [{ message: 'Subscriptions are not supported.', extensions: { code: 'BAD_REQUEST' } }] };
    const coerced = getVariableValues(this.schema, op.variableDefinitions ?? [], (body.variables ?? {}) as Record<string, unknown>);
    if (coerced.errors) return { errors: coerced.errors.map((g) => ({ message: g.message, locations: g.locations, extensions: { code: 'INVALID_VARIABLE' } })) };
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
    const { cost, errors } = requestedCost(this.schema, op, fragments, coerced.coerced);
    const costExt = (actual: number | null) => ({ cost: { requestedQueryCost: cost, actualQueryCost: actual, throttleStatus: bucket.status() } });
    if (errors.length) return { errors: errors.map((e) => ({ message: e.message, path: e.path, extensions: { code: e.code } })), extensions: costExt(null) };
    if (cost > MAX_SINGLE_QUERY_COST) {
      return {
        errors: [{ message: `Query cost is ${cost}, which exceeds the single query max cost limit (${MAX_SINGLE_QUERY_COST}).\n\nSee ${RATE_LIMITS_DOC} for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n`, extensions: { code: 'MAX_COST_EXCEEDED', cost, maxCost: MAX_SINGLE_QUERY_COST, documentation: RATE_LIMITS_DOC } }],
        extensions: costExt(null),
      };
    }
    if (!bucket.take(cost)) {
      return { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: RATE_LIMITS_DOC } }], extensions: costExt(null) };
    }
    ctx.meter = new CostMeter(op.operation === 'mutation');
    const root = op.operation === 'mutation' ? mutationRoot(ctx) : queryRoot(ctx);
    const result = await execute({
      schema: this.schema,
      document: doc,
      rootValue: root,
      contextValue: ctx,
      variableValues: (body.variables ?? {}) as Record<string, unknown>,
      operationName: op.name?.value,
      fieldResolver: this.fieldResolver,
      typeResolver: (value) => (value as { __typename?: string }).__typename,
    });
    const actual = Math.min(cost, ctx.meter.actual);
    bucket.refund(cost - actual);
    const answer: GraphQLAnswer = { data: result.data, extensions: costExt(actual) };
    if (result.errors?.length) answer.errors = result.errors.map((g) => ({ message: g.message, locations: g.locations, path: g.path, extensions: { code: 'INTERNAL_SERVER_ERROR', ...(g.extensions ?? {}) } }));
    return answer;
  }

  /** Runs a bulk query (every row of every connection) and flattens it to JSONL with `__parentId`. */
  async runBulk(query: string, ctx: SimContext): Promise<{ lines: string[]; rootObjectCount: number }> {
    const checked = this.check(query);
    if ('errors' in checked) throw new Error(checked.errors?.[0]?.message);
    ctx.bulk = true;
    ctx.meter = new CostMeter(false);
    const result = await execute({ schema: this.schema, document: checked.doc, rootValue: queryRoot(ctx), contextValue: ctx, fieldResolver: this.fieldResolver, typeResolver: (v) => (v as { __typename?: string }).__typename });
    if (result.errors?.length) throw new Error(result.errors[0].message);
    const lines: string[] = [];
    let rootObjectCount = 0;
    const nodesOf = (conn: Record<string, unknown>): Record<string, unknown>[] => {
      if (Array.isArray(conn.nodes)) return conn.nodes as Record<string, unknown>[];
      if (Array.isArray(conn.edges)) return (conn.edges as { node: Record<string, unknown> }[]).map((e) => e.node);
      return [];
    };
    const isConn = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v) && ('edges' in v || 'nodes' in v);
    const emit = (node: Record<string, unknown>, parentId: string | null) => {
      const own: Record<string, unknown> = {};
      const children: Record<string, unknown>[] = [];
      for (const [k, v] of Object.entries(node)) {
        if (isConn(v)) children.push(v);
        else own[k] = v;
      }
      if (parentId) own.__parentId = parentId;
      lines.push(JSON.stringify(own));
      for (const c of children) for (const n of nodesOf(c)) emit(n, typeof node.id === 'string' ? node.id : parentId);
    };
    for (const v of Object.values((result.data ?? {}) as Record<string, unknown>)) {
      if (!isConn(v)) continue;
      for (const n of nodesOf(v)) {
        rootObjectCount++;
        emit(n, null);
      }
    }
    return { lines, rootObjectCount };
  }

  /** Shopify's checks on a bulk query: valid, a query, at least one connection (userError messages). */
  checkBulkQuery(query: string): string | null {
    const checked = this.check(query);
    if ('errors' in checked) return `Invalid bulk query: ${checked.errors?.[0]?.message}`;
    const op = getOperationAST(checked.doc);
    if (!op || op.operation !== 'query') return 'Bulk queries must be queries (mutations are run with bulkOperationRunMutation).';
    let connections = 0;
    const walk = (sel: readonly { kind: string; name?: { value: string }; selectionSet?: { selections: readonly unknown[] } }[], parent: GraphQLNamedType) => {
      for (const s of sel) {
        if (s.kind !== Kind.FIELD || !s.name || !isObjectType(parent)) continue;
        const def = parent.getFields()[s.name.value];
        if (!def) continue;
        const t = getNamedType(def.type);
        if (isConnectionType(t)) connections++;
        if (s.selectionSet) walk(s.selectionSet.selections as never, t);
      }
    };
    walk(op.selectionSet.selections as never, this.schema.getQueryType()!);
    if (connections === 0) return 'Bulk queries must contain at least one connection.';
    if (connections > 5) return 'Bulk queries cannot contain more than 5 connections.';
    return null;
  }
}

function validationCode(message: string): string {
  if (message.startsWith('Cannot query field')) return 'undefinedField';
  if (message.startsWith('Unknown argument')) return 'argumentNotAccepted';
  if (/argument .* of type .* is required/.test(message)) return 'missingRequiredArguments';
  if (message.startsWith('Variable')) return 'variableMismatch';
  if (message.startsWith('Unknown type')) return 'undefinedType';
  if (/must have a selection of subfields/.test(message)) return 'selectionMismatch';
  return 'GRAPHQL_VALIDATION_FAILED';
}
