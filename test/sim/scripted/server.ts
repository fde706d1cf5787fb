// A scripted commerce upstream for tests of the sync engine: a Hono app on 127.0.0.1 with API-key and
// short-lived token auth, keyset-paged lists of orders/products/stock, idempotent writes whose effects
// are counted per Idempotency-Key, a per-key token-bucket rate limiter, and runtime fault switches.
// See README.md next to this file for the API the engine's tests use.
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { Faults } from './faults.ts';
import {
  SIM_ORDER_STATUSES,
  SimState,
  WRITE_ROUTES,
  cents,
  inventoryKey,
  toCents,
  type RequestRecord,
  type RouteName,
  type SeedCounts,
  type SimEntity,
  type SimOrder,
  type SimProduct,
  type SimRecordByEntity,
} from './state.ts';

export { Faults, type FaultKind, type FaultRule, type FaultOptions } from './faults.ts';
export { SimState, ROUTES, WRITE_ROUTES, type RouteName, type SeedCounts, type SimEntity, type Effect, type RequestRecord } from './state.ts';
export type { SimOrder, SimProduct, SimInventory, SimOrderStatus } from './state.ts';

export interface SimRate {
  ratePerSec: number;
  burst: number;
}

export interface RateLimitConfig {
  enabled: boolean;
  /** The per-API-key bucket shared by every route without its own entry in `routes`. */
  ratePerSec: number;
  burst: number;
  /** Send `x-ratelimit-limit` on rate-limited answers and `retry-after` on 429s. */
  headers: boolean;
  /** Routes with their own bucket (per key), or `false` for routes that are never limited. */
  routes: Partial<Record<RouteName, SimRate | false>>;
}

/** Live configuration: tests may change any of it between requests. */
export interface ScriptedConfig {
  apiKeys: Set<string>;
  /** Keys that may read; writes with them are answered 403. */
  readOnlyKeys: Set<string>;
  /** Data routes refuse `x-api-key` and want `Authorization: Bearer` from POST /auth/token. */
  requireToken: boolean;
  tokenTtlMs: number;
  rateLimit: RateLimitConfig;
  defaultPageSize: number;
  /** Larger `limit`s are clamped to this, silently, as many platforms do. */
  maxPageSize: number;
  /** Writes without an Idempotency-Key are answered 400. */
  requireIdempotencyKey: boolean;
  /** false: every write is applied again, whatever its key (a platform without idempotency). */
  honorIdempotencyKeys: boolean;
  /** Orders created through the API take their quantities from stock (location "default"), and give them back when canceled. */
  decrementStockOnOrder: boolean;
}

export interface ScriptedUpstreamOptions {
  /** Valid API keys (default ['test-key']). */
  apiKeys?: string[];
  readOnlyKeys?: string[];
  requireToken?: boolean;
  /** Lifetime of bearer tokens (default one hour). */
  tokenTtlMs?: number;
  /** Rate limiting; `false` turns it off. Default: on, 2 req/s burst 5 per key, headers sent. */
  rateLimit?: Partial<RateLimitConfig> | false;
  defaultPageSize?: number;
  maxPageSize?: number;
  requireIdempotencyKey?: boolean;
  honorIdempotencyKeys?: boolean;
  decrementStockOnOrder?: boolean;
  /** Seed of the PRNG behind probabilistic faults (default 1). */
  seed?: number;
  /** The upstream's clock, for updated_at of writes and token expiry (default Date.now). */
  clock?: () => number;
  /** Records to seed before listening. */
  data?: SeedCounts;
  /** API keys with data of their own (`state.seedKey`), seeded before listening; they are valid keys too. */
  dataByKey?: Record<string, SeedCounts>;
}

export interface ScriptedUpstream {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  state: SimState;
  faults: Faults;
  config: ScriptedConfig;
  /** Same as state.seed. */
  seed(counts: SeedCounts): void;
  /** Refills every rate-limit bucket. */
  resetRateLimits(): void;
  stop(): Promise<void>;
}

export function resolveConfig(options: ScriptedUpstreamOptions = {}): ScriptedConfig {
  const rl = options.rateLimit === false ? { enabled: false } : options.rateLimit;
  return {
    apiKeys: new Set(options.apiKeys ?? ['test-key']),
    readOnlyKeys: new Set(options.readOnlyKeys ?? []),
    requireToken: options.requireToken ?? false,
    tokenTtlMs: options.tokenTtlMs ?? 3_600_000,
    rateLimit: {
      enabled: rl?.enabled ?? true,
      ratePerSec: rl?.ratePerSec ?? 2,
      burst: rl?.burst ?? 5,
      headers: rl?.headers ?? true,
      routes: rl?.routes ?? {},
    },
    defaultPageSize: options.defaultPageSize ?? 50,
    maxPageSize: options.maxPageSize ?? 100,
    requireIdempotencyKey: options.requireIdempotencyKey ?? true,
    honorIdempotencyKeys: options.honorIdempotencyKeys ?? true,
    decrementStockOnOrder: options.decrementStockOnOrder ?? false,
  };
}

/** Token buckets keyed by API key (and route, for routes with their own rate), on a monotonic clock. */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; last: number; rate: number; burst: number }>();

  take(id: string, spec: SimRate): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = performance.now();
    let b = this.#buckets.get(id);
    if (!b || b.rate !== spec.ratePerSec || b.burst !== spec.burst) {
      b = { tokens: Math.min(b?.tokens ?? spec.burst, spec.burst), last: now, rate: spec.ratePerSec, burst: spec.burst };
      this.#buckets.set(id, b);
    }
    b.tokens = Math.min(b.burst, b.tokens + ((now - b.last) / 1000) * b.rate);
    b.last = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / b.rate) * 1000) };
  }

  reset(): void {
    this.#buckets.clear();
  }
}

/** An answer the simulator gives on purpose: `{ error: { code, message, details? } }`. */
class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

interface SimRequest {
  /** The API key the request authenticated as (directly or through its token). */
  apiKey: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

interface Outcome {
  status: number;
  body: unknown;
  /** For writes: what changed (recorded as the effect). */
  target?: string;
}

interface Stored {
  fingerprint: string;
  status: number;
  text: string;
}

/** Pending hangs, so stop() does not wait for them. */
class Hangs {
  readonly #pending = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#pending.add(done);
    });
  }

  releaseAll(): void {
    for (const done of [...this.#pending]) done();
  }
}

export interface ScriptedAppDeps {
  state: SimState;
  faults: Faults;
  config: ScriptedConfig;
  limiter?: RateLimiter;
  hangs?: Hangs;
}

const Decimal = z.string().regex(/^-?\d{1,12}(\.\d{1,4})?$/);
const Iso = z.iso.datetime({ offset: true });
const Address = z.object({
  name: z.string().max(255).nullable().default(null),
  street: z.array(z.string().max(255)).max(4).default([]),
  city: z.string().max(255).nullable().default(null),
  postcode: z.string().max(32).nullable().default(null),
  country: z.string().regex(/^[A-Z]{2}$/).nullable().default(null),
});
const CreateOrderBody = z.object({
  number: z.string().min(1).max(64),
  status: z.enum(SIM_ORDER_STATUSES).default('pending'),
  currency: z.string().regex(/^[A-Z]{3}$/),
  customer: z.object({ id: z.string().nullable().default(null), email: z.string().nullable().default(null), name: z.string().nullable().default(null) }),
  billing_address: Address.nullable().default(null),
  shipping_address: Address.nullable().default(null),
  items: z
    .array(
      z.object({
        sku: z.string().min(1).max(255),
        name: z.string().max(1024).nullable().default(null),
        qty_ordered: z.number().int().min(1),
        price: Decimal,
        tax_amount: Decimal.default('0.00'),
        discount_amount: Decimal.default('0.00'),
      }),
    )
    .min(1),
  shipping_amount: Decimal.default('0.00'),
  tax_amount: Decimal.default('0.00'),
  discount_amount: Decimal.default('0.00'),
  placed_at: Iso.nullable().default(null),
  fulfillment: z.enum(['merchant', 'marketplace']).default('merchant'),
});
const ListingBody = z.object({ product_type: z.string().max(128).default(''), attributes: z.record(z.string(), z.unknown()).default({}), marketplace_id: z.string().max(64).nullish() });
const ListingsBulkBody = z.object({ items: z.array(ListingBody.extend({ sku: z.string().min(1).max(255) })).min(1).max(10_000) });
const StockBulkBody = z.object({ items: z.array(z.object({ sku: z.string().min(1).max(255), quantity: z.number().int().min(0), location: z.string().min(1).max(64).default('default') })).min(1).max(10_000) });
const ShipmentBody = z.object({
  lines: z.array(z.object({ item_id: z.string().nullish(), sku: z.string().min(1), qty: z.number().int().min(1) })).min(1),
  carrier: z.string().max(255).nullish(),
  tracking_number: z.string().max(255).nullish(),
});
const CancelBody = z.object({ reason: z.string().max(1024).nullish() }).default({});
const StockBody = z.object({ quantity: z.number().int().min(0), location: z.string().min(1).max(64).default('default') });
const ProductPatch = z
  .object({
    name: z.string().min(1).max(1024).optional(),
    description: z.string().max(200_000).nullable().optional(),
    status: z.enum(['enabled', 'disabled']).optional(),
    price: Decimal.optional(),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new SimHttpError(422, 'validation_failed', 'the request body is not valid', r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}

function encodeToken(parts: [SimEntity, number | null, number | null, number, string]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function decodeToken(token: string): [SimEntity, number | null, number | null, number, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 5 && typeof v[3] === 'number' && typeof v[4] === 'string') return v as [SimEntity, number | null, number | null, number, string];
  } catch {
    // fall through
  }
  throw new SimHttpError(400, 'invalid_page_token', 'page_token is not valid');
}

function parseTime(name: string, value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new SimHttpError(400, 'invalid_parameter', `${name} is not a date-time`);
  return ms;
}

/**
 * The simulator as a Hono app (usable with app.request() too, except faults that need a socket).
 * @example const app = createScriptedApp({ state, faults: new Faults(state), config: resolveConfig() });
 */
export function createScriptedApp(deps: ScriptedAppDeps): Hono<{ Bindings: HttpBindings }> {
  const { state, faults, config } = deps;
  const limiter = deps.limiter ?? new RateLimiter();
  const hangs = deps.hangs ?? new Hangs();
  const stored = new Map<string, Stored>();
  const app = new Hono<{ Bindings: HttpBindings }>();

  const dropConnection = (c: Context<{ Bindings: HttpBindings }>) => {
    const socket = c.env?.incoming?.socket;
    if (!socket) throw new Error('dropping a connection needs a real socket (use startScriptedUpstream)');
    socket.destroy();
    return new Response(null, { status: 204 });
  };

  const json = (rec: RequestRecord, status: number, body: unknown, headers: Record<string, string> = {}) => {
    rec.status = status;
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
  };

  const tooMany = (rec: RequestRecord, route: RouteName, retryAfterMs: number, rate: number | null) => {
    state.throttled += 1;
    state.throttledByRoute.set(route, (state.throttledByRoute.get(route) ?? 0) + 1);
    const headers: Record<string, string> = {};
    if (config.rateLimit.headers) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
      if (rate !== null) headers['x-ratelimit-limit'] = String(rate);
    }
    return json(rec, 429, { error: { code: 'rate_limited', message: 'too many requests' } }, headers);
  };

  const authenticate = (c: Context<{ Bindings: HttpBindings }>, route: RouteName): string => {
    const valid = (k: string) => config.apiKeys.has(k) || config.readOnlyKeys.has(k);
    const apiKeyHeader = c.req.header('x-api-key');
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    let apiKey: string;
    if (route === 'auth.token' || (apiKeyHeader !== undefined && bearer === undefined)) {
      if (apiKeyHeader === undefined) throw new SimHttpError(401, 'missing_credentials', 'x-api-key is required');
      if (!valid(apiKeyHeader)) throw new SimHttpError(401, 'invalid_api_key', 'the API key is not valid');
      if (config.requireToken && route !== 'auth.token') throw new SimHttpError(401, 'token_required', 'use a bearer token from POST /auth/token');
      apiKey = apiKeyHeader;
    } else if (bearer !== undefined) {
      const token = state.tokens.get(bearer);
      if (!token) throw new SimHttpError(401, 'invalid_token', 'the token is not valid');
      if (token.expiresAt <= state.clock()) throw new SimHttpError(401, 'token_expired', 'the token has expired');
      if (!valid(token.apiKey)) throw new SimHttpError(401, 'invalid_api_key', 'the API key behind the token was revoked');
      apiKey = token.apiKey;
    } else {
      throw new SimHttpError(401, 'missing_credentials', 'x-api-key or a bearer token is required');
    }
    if (WRITE_ROUTES.has(route) && !config.apiKeys.has(apiKey)) throw new SimHttpError(403, 'forbidden', 'this API key may not write');
    return apiKey;
  };

  const run = async (c: Context<{ Bindings: HttpBindings }>, route: RouteName, handler: (req: SimRequest) => Outcome): Promise<Response> => {
    const idempotencyKey = c.req.header('idempotency-key') ?? null;
    const rec: RequestRecord = { seq: state.log.length + 1, route, method: c.req.method, path: c.req.path, status: 0, idempotencyKey, fault: null, apiKey: null, at: performance.now() };
    state.log.push(rec);
    state.calls.set(route, (state.calls.get(route) ?? 0) + 1);
    const isWrite = WRITE_ROUTES.has(route);
    if (isWrite && idempotencyKey) state.attempts.set(idempotencyKey, (state.attempts.get(idempotencyKey) ?? 0) + 1);

    const before = faults.pick(route, 'before');
    if (before) {
      rec.fault = before.kind;
      if (before.kind === 'throttle') return tooMany(rec, route, (before.retryAfterSec ?? 1) * 1000, null);
      if (before.kind === 'error500') return json(rec, 500, { error: { code: 'internal_error', message: 'scripted internal error' } });
      if (before.kind === 'error503') return json(rec, 503, { error: { code: 'unavailable', message: 'scripted maintenance' } });
      if (before.kind === 'drop') return dropConnection(c);
      await hangs.wait(before.ms ?? 30_000);
    }

    try {
      const apiKey = authenticate(c, route);
      rec.apiKey = apiKey;
      let rate: number | null = null;
      const rl = config.rateLimit;
      const own = rl.routes[route];
      if (rl.enabled && own !== false) {
        const spec = own ?? { ratePerSec: rl.ratePerSec, burst: rl.burst };
        rate = spec.ratePerSec;
        const got = limiter.take(own ? `${apiKey}|${route}` : apiKey, spec);
        if (!got.ok) return tooMany(rec, route, got.retryAfterMs, rate);
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (rate !== null && rl.headers) headers['x-ratelimit-limit'] = String(rate);

      const req: SimRequest = { apiKey, params: c.req.param() as Record<string, string>, query: c.req.query(), body: undefined };
      let status: number;
      let text: string;
      let applied = false;
      if (c.req.method !== 'GET') {
        const raw = await c.req.text();
        try {
          req.body = raw === '' ? undefined : JSON.parse(raw);
        } catch {
          throw new SimHttpError(400, 'invalid_json', 'the request body is not JSON');
        }
        if (isWrite) {
          if (!idempotencyKey && config.requireIdempotencyKey) throw new SimHttpError(400, 'idempotency_key_required', 'writes need an Idempotency-Key header');
          const scope = `${apiKey}\n${idempotencyKey}`;
          const fingerprint = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${raw}`).digest('hex');
          const first = idempotencyKey && config.honorIdempotencyKeys ? stored.get(scope) : undefined;
          if (first && first.fingerprint !== fingerprint) throw new SimHttpError(409, 'idempotency_key_reused', 'this Idempotency-Key was used with another request');
          if (first) {
            status = first.status;
            text = first.text;
            headers['idempotent-replayed'] = 'true';
          } else {
            const out = handler(req);
            status = out.status;
            text = JSON.stringify(out.body);
            if (out.target !== undefined) {
              state.recordEffect(idempotencyKey ?? '', route, out.target);
              applied = true;
            }
            if (idempotencyKey) stored.set(scope, { fingerprint, status, text });
          }
        } else {
          const out = handler(req);
          status = out.status;
          text = JSON.stringify(out.body);
        }
      } else {
        const out = handler(req);
        status = out.status;
        text = JSON.stringify(out.body);
      }

      const after = faults.pick(route, 'after');
      if (after?.kind === 'fail_after_effect' && applied) {
        rec.fault = after.kind;
        return dropConnection(c);
      }
      if (after?.kind === 'malformed') {
        rec.fault = after.kind;
        text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      }
      rec.status = status;
      return new Response(text, { status, headers });
    } catch (err) {
      if (err instanceof SimHttpError) return json(rec, err.status, { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
      throw err;
    }
  };

  const list =
    <E extends SimEntity>(entity: E) =>
    (req: SimRequest): Outcome => {
      const q = req.query;
      const limitRaw = q.limit === undefined || q.limit === '' ? config.defaultPageSize : Number(q.limit);
      if (!Number.isInteger(limitRaw) || limitRaw < 1) throw new SimHttpError(400, 'invalid_parameter', 'limit must be a positive integer');
      const limit = Math.min(limitRaw, config.maxPageSize);
      let from = parseTime('updated_from', q.updated_from);
      let to = parseTime('updated_to', q.updated_to);
      let after: { ms: number; key: string } | null = null;
      if (q.page_token) {
        const [e, f, t, ms, key] = decodeToken(q.page_token);
        if (e !== entity || (from !== null && from !== f) || (to !== null && to !== t)) throw new SimHttpError(400, 'invalid_page_token', 'page_token does not belong to this query');
        from = f;
        to = t;
        after = { ms, key };
      }
      const data = state.dataFor(req.apiKey);
      const table = data.table(entity);
      const page = table.page(from ?? -Infinity, to ?? Infinity, after, limit);
      const last = page.rows[page.rows.length - 1];
      return {
        status: 200,
        body: {
          items: page.rows.map((r) => data.output(entity, r.key, r.data as SimRecordByEntity[E])),
          next_page_token: page.more && last ? encodeToken([entity, from, to, last.ms, last.key]) : null,
          total: page.total,
        },
      };
    };

  const moveStock = (data: SimState, sku: string, delta: number, now: string) => {
    const key = inventoryKey(sku, 'default');
    const level = data.inventory.get(key);
    if (!level) return;
    level.quantity = Math.max(0, level.quantity + delta);
    level.updated_at = now;
    data.inventory.put(key, level);
  };

  /** What the platform refuses in a listing: no product type, no title, no identifier (nor an exemption). */
  const listingProblems = (l: { product_type: string; attributes: Record<string, unknown> }): { path: string; message: string }[] => {
    const out: { path: string; message: string }[] = [];
    if (!l.product_type) out.push({ path: 'product_type', message: 'required' });
    if (typeof l.attributes.item_name !== 'string' || !l.attributes.item_name) out.push({ path: 'attributes.item_name', message: 'required' });
    else if (l.attributes.item_name.length > 200) out.push({ path: 'attributes.item_name', message: 'at most 200 characters' });
    const isParent = l.attributes.parentage_level === 'parent';
    if (!isParent && !l.attributes.externally_assigned_product_identifier && l.attributes.supplier_declared_has_product_identifier_exemption !== true) {
      out.push({ path: 'attributes.externally_assigned_product_identifier', message: 'an identifier or an exemption is required' });
    }
    return out;
  };
  const putListing = (data: SimState, sku: string, l: { product_type: string; attributes: Record<string, unknown> }, now: string) => {
    const a = l.attributes;
    const id = a.externally_assigned_product_identifier as { value?: unknown } | undefined;
    const old = data.products.get(sku);
    const scalars = Object.fromEntries(Object.entries(a).filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v))) as SimProduct['attributes'];
    data.products.put(sku, {
      id: old?.id ?? String(data.products.size + 1),
      sku,
      name: String(a.item_name),
      description: typeof a.product_description === 'string' ? a.product_description : (old?.description ?? null),
      status: 'enabled',
      price: old?.price ?? '0.00',
      currency: old?.currency ?? 'EUR',
      ean: typeof id?.value === 'string' ? id.value : (old?.ean ?? null),
      brand: typeof a.brand === 'string' ? a.brand : (old?.brand ?? null),
      attributes: { ...scalars, product_type: l.product_type },
      created_at: old?.created_at ?? now,
      updated_at: now,
    });
  };

  const orderOr404 = (data: SimState, id: string): SimOrder => {
    const order = data.orders.get(id);
    if (!order) throw new SimHttpError(404, 'not_found', `order ${id} does not exist`);
    return order;
  };

  const on = (method: string, path: string, route: RouteName, handler: (req: SimRequest) => Outcome) => app.on(method, path, (c) => run(c, route, handler));

  on('POST', '/auth/token', 'auth.token', (req) => {
    const token = `tok_${randomBytes(18).toString('base64url')}`;
    const expiresAt = state.clock() + config.tokenTtlMs;
    state.tokens.set(token, { apiKey: req.apiKey, expiresAt });
    return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: Math.floor(config.tokenTtlMs / 1000), expires_at: new Date(expiresAt).toISOString() } };
  });
  on('GET', '/me', 'me', () => ({ status: 200, body: { shop: 'scripted', name: 'Scripted upstream', currency: 'EUR', time: state.nowIso() } }));
  on('GET', '/orders', 'orders.list', list('orders'));
  on('GET', '/products', 'products.list', list('products'));
  on('GET', '/inventory', 'inventory.list', list('inventory'));

  on('PUT', '/inventory/:sku', 'inventory.set', (req) => {
    const data = state.dataFor(req.apiKey);
    const sku = req.params.sku!;
    const body = parseBody(StockBody, req.body);
    const key = inventoryKey(sku, body.location);
    const now = data.nowIso();
    const level = data.inventory.get(key);
    if (level) {
      level.quantity = body.quantity;
      level.updated_at = now;
      data.inventory.put(key, level);
    } else {
      if (!data.products.has(sku)) throw new SimHttpError(404, 'not_found', `sku ${sku} does not exist`);
      data.inventory.put(key, { sku, location: body.location, quantity: body.quantity, reserved: 0, updated_at: now });
    }
    return { status: 200, body: data.inventory.get(key), target: `inventory/${key}` };
  });

  on('POST', '/orders/:id/shipments', 'shipments.create', (req) => {
    const data = state.dataFor(req.apiKey);
    const order = orderOr404(data, req.params.id!);
    const body = parseBody(ShipmentBody, req.body);
    if (order.status === 'canceled' || order.status === 'closed') throw new SimHttpError(422, 'invalid_state', `order ${order.id} is ${order.status}`);
    // Check every line before changing anything.
    const plan = body.lines.map((line, i) => {
      const open = (it: SimOrder['items'][number]) => it.qty_ordered - it.qty_shipped - it.qty_canceled;
      const item = line.item_id
        ? order.items.find((it) => it.id === line.item_id)
        : (order.items.find((it) => it.sku === line.sku && open(it) >= line.qty) ?? order.items.find((it) => it.sku === line.sku));
      if (!item || item.sku !== line.sku) throw new SimHttpError(422, 'validation_failed', `line ${i} matches no item of order ${order.id}`, [{ path: `lines.${i}`, message: 'unknown item' }]);
      if (open(item) < line.qty) throw new SimHttpError(422, 'validation_failed', `line ${i} ships more than is open`, [{ path: `lines.${i}.qty`, message: `at most ${open(item)}` }]);
      return { item, qty: line.qty };
    });
    const now = data.nowIso();
    for (const p of plan) p.item.qty_shipped += p.qty;
    const shipment = {
      id: data.newShipmentId(),
      items: plan.map((p) => ({ item_id: p.item.id, sku: p.item.sku, qty: p.qty })),
      carrier: body.carrier ?? null,
      tracking_number: body.tracking_number ?? null,
      created_at: now,
    };
    const done = order.items.every((it) => it.qty_shipped + it.qty_canceled >= it.qty_ordered);
    data.update('orders', order.id, (o) => {
      o.shipments.push(shipment);
      o.status = done ? 'complete' : 'partially_shipped';
    }, now);
    return { status: 201, body: { ...shipment, order_id: order.id }, target: `orders/${order.id}/shipments/${shipment.id}` };
  });

  on('PATCH', '/products/:sku', 'products.update', (req) => {
    const data = state.dataFor(req.apiKey);
    const sku = req.params.sku!;
    if (!data.products.has(sku)) throw new SimHttpError(404, 'not_found', `product ${sku} does not exist`);
    const patch = parseBody(ProductPatch, req.body);
    const product = data.update('products', sku, (p) => {
      if (patch.name !== undefined) p.name = patch.name;
      if (patch.description !== undefined) p.description = patch.description;
      if (patch.status !== undefined) p.status = patch.status;
      if (patch.price !== undefined) p.price = patch.price;
      if (patch.attributes !== undefined) p.attributes = { ...p.attributes, ...patch.attributes };
    });
    return { status: 200, body: product, target: `products/${sku}` };
  });

  on('POST', '/orders', 'orders.create', (req) => {
    const data = state.dataFor(req.apiKey);
    const body = parseBody(CreateOrderBody, req.body);
    const id = data.newOrderId();
    const now = data.nowIso();
    let subtotal = 0;
    const items = body.items.map((it, i) => {
      const row = it.qty_ordered * toCents(it.price);
      subtotal += row;
      return { id: `${id}-${i + 1}`, sku: it.sku, name: it.name, qty_ordered: it.qty_ordered, qty_shipped: 0, qty_canceled: 0, price: it.price, tax_amount: it.tax_amount, discount_amount: it.discount_amount, row_total: cents(row) };
    });
    const order: SimOrder = {
      id,
      number: body.number,
      status: body.status,
      currency: body.currency,
      customer: body.customer,
      billing_address: body.billing_address,
      shipping_address: body.shipping_address,
      items,
      subtotal: cents(subtotal),
      shipping_amount: body.shipping_amount,
      tax_amount: body.tax_amount,
      discount_amount: body.discount_amount,
      grand_total: cents(subtotal + toCents(body.shipping_amount) + toCents(body.tax_amount) - toCents(body.discount_amount)),
      shipments: [],
      fulfillment: body.fulfillment,
      placed_at: body.placed_at ?? now,
      created_at: now,
      updated_at: now,
    };
    data.orders.put(id, order);
    if (config.decrementStockOnOrder && body.fulfillment === 'merchant') {
      // Stock never goes below 0 (no backorders); the order is taken all the same.
      for (const it of items) moveStock(data, it.sku, -it.qty_ordered, now);
    }
    return { status: 201, body: order, target: `orders/${id}` };
  });

  on('POST', '/orders/:id/cancel', 'orders.cancel', (req) => {
    const data = state.dataFor(req.apiKey);
    const order = orderOr404(data, req.params.id!);
    parseBody(CancelBody, req.body);
    if (order.status === 'canceled') throw new SimHttpError(422, 'invalid_state', `order ${order.id} is already canceled`);
    if (order.status === 'complete' || order.status === 'closed') throw new SimHttpError(422, 'invalid_state', `order ${order.id} is ${order.status} and cannot be canceled`);
    const back = order.items.map((it) => ({ sku: it.sku, qty: it.qty_ordered - it.qty_shipped - it.qty_canceled }));
    const updated = data.update('orders', order.id, (o) => {
      o.status = 'canceled';
      for (const it of o.items) it.qty_canceled = it.qty_ordered - it.qty_shipped;
    });
    if (config.decrementStockOnOrder && (order.fulfillment ?? 'merchant') === 'merchant') for (const b of back) if (b.qty > 0) moveStock(data, b.sku, b.qty, updated.updated_at);
    return { status: 200, body: updated, target: `orders/${order.id}/cancel` };
  });

  on('GET', '/inventory/:key', 'inventory.get', (req) => {
    const level = state.dataFor(req.apiKey).inventory.get(req.params.key!);
    if (!level) throw new SimHttpError(404, 'not_found', `no stock level ${req.params.key}`);
    return { status: 200, body: level };
  });

  on('POST', '/inventory/bulk', 'inventory.bulk', (req) => {
    const data = state.dataFor(req.apiKey);
    const body = parseBody(StockBulkBody, req.body);
    const now = data.nowIso();
    const accepted: string[] = [];
    const issues: { sku: string; code: string; message: string }[] = [];
    for (const it of body.items) {
      const key = inventoryKey(it.sku, it.location);
      const level = data.inventory.get(key);
      if (level) {
        level.quantity = it.quantity;
        level.updated_at = now;
        data.inventory.put(key, level);
      } else if (data.products.has(it.sku)) data.inventory.put(key, { sku: it.sku, location: it.location, quantity: it.quantity, reserved: 0, updated_at: now });
      else {
        issues.push({ sku: it.sku, code: 'not_found', message: `sku ${it.sku} does not exist` });
        continue;
      }
      accepted.push(it.sku);
    }
    return { status: 200, body: { accepted, issues }, target: `inventory/bulk/${accepted.length}` };
  });

  on('PUT', '/listings/:sku', 'listings.put', (req) => {
    const data = state.dataFor(req.apiKey);
    const body = parseBody(ListingBody, req.body);
    const problems = listingProblems(body);
    if (problems.length) throw new SimHttpError(422, 'validation_failed', `listing ${req.params.sku} is not valid`, problems);
    putListing(data, req.params.sku!, body, data.nowIso());
    return { status: 200, body: { sku: req.params.sku, status: 'ACCEPTED' }, target: `listings/${req.params.sku}` };
  });

  on('POST', '/listings/bulk', 'listings.bulk', (req) => {
    const data = state.dataFor(req.apiKey);
    const body = parseBody(ListingsBulkBody, req.body);
    const now = data.nowIso();
    const accepted: string[] = [];
    const issues: { sku: string; code: string; message: string; attribute: string | null }[] = [];
    for (const it of body.items) {
      const problems = listingProblems(it);
      if (problems.length) {
        for (const p of problems) issues.push({ sku: it.sku, code: 'validation_failed', message: p.message, attribute: p.path.replace(/^attributes\./, '') });
        continue;
      }
      putListing(data, it.sku, it, now);
      accepted.push(it.sku);
    }
    return { status: 200, body: { feed_id: `F-${data.nowIso()}`, accepted, issues }, target: `listings/bulk/${accepted.length}` };
  });

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  return app;
}

/**
 * Starts the simulator on 127.0.0.1 (an ephemeral port).
 * @example
 * const sim = await startScriptedUpstream({ data: { orders: 1000 }, rateLimit: { ratePerSec: 50, burst: 50 } });
 * sim.faults.error503Next(2);
 * // ... point an adapter at sim.url with api_key 'test-key' ...
 * await sim.stop();
 */
export async function startScriptedUpstream(options: ScriptedUpstreamOptions = {}): Promise<ScriptedUpstream> {
  const state = new SimState(options.clock);
  const faults = new Faults(state, options.seed ?? 1);
  const config = resolveConfig(options);
  const limiter = new RateLimiter();
  const hangs = new Hangs();
  if (options.data) state.seed(options.data);
  for (const [key, counts] of Object.entries(options.dataByKey ?? {})) {
    state.seedKey(key, counts);
    config.apiKeys.add(key);
  }
  const app = createScriptedApp({ state, faults, config, limiter, hangs });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    faults,
    config,
    seed: (counts) => state.seed(counts),
    resetRateLimits: () => limiter.reset(),
    stop: async () => {
      hangs.releaseAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
