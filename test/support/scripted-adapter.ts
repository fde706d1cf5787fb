// A real HTTP adapter for the scripted upstream (test/sim/scripted): the sync engine's tests run their
// pulls and idempotent writes through it before the Magento and Amazon adapters exist. It behaves as a
// production adapter should: every call asks the throttle first, learns the upstream's rate from
// `x-ratelimit-limit`, has a timeout, and maps every failure to an AppError kind.
// Load it into the engine with SWITCHYARD_EXTRA_ADAPTERS=<path of this file> (default export: factories).
import { amazonAttributesOf, withListingField } from '../../src/adapters/amazon/product-types.ts';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError, type FieldError } from '../../src/core/errors.ts';
import type { InventoryLevelInput, OrderInput, OrderStatus, ProductInput, ShipmentInput } from '../../src/core/model/index.ts';
import { assertUpstreamUrl } from '../../src/core/net.ts';
import type {
  AdapterContext,
  AdapterFactory,
  CancelOrderInput,
  ChannelAdapter,
  CreateShipmentInput,
  Entity,
  NormalizedByEntity,
  PullPage,
  PullRequest,
  RateSpec,
  RawRecord,
  SetStockInput,
  UpdatePriceInput,
  BulkResult,
  ListingField,
  ListingInput,
  ItemIssue,
  UpdateProductInput,
  WriteContext,
  WriteResult,
} from '../../src/core/ports.ts';

const CHANNEL = 'scripted_http';

const Settings = z
  .object({
    base_url: z.string().url(),
    /** api_key: `x-api-key` on every call; token: exchange the key at POST /auth/token for a bearer token. */
    auth: z.enum(['api_key', 'token']).default('api_key'),
    /** The seeded token bucket, before the upstream's headers say otherwise. */
    rate_per_sec: z.number().positive().max(10_000).default(2),
    burst: z.number().int().min(1).max(10_000).default(5),
    /** operation: one bucket per (account, operation); account: one bucket per account. */
    throttle_scope: z.enum(['operation', 'account']).default('operation'),
    timeout_ms: z.number().int().min(1).max(300_000).default(10_000),
    page_size: z.number().int().min(1).max(1000).default(100),
  })
  .strict();
const Credentials = z.object({ api_key: z.string().min(1).max(256) }).strict();

export type ScriptedHttpSettings = z.infer<typeof Settings>;
export type ScriptedHttpCredentials = z.infer<typeof Credentials>;

/** The upstream operations, named as the simulator names its routes. */
export type ScriptedOperation =
  | 'auth.token'
  | 'me'
  | 'orders.list'
  | 'products.list'
  | 'inventory.list'
  | 'inventory.set'
  | 'shipments.create'
  | 'products.update'
  | 'orders.create'
  | 'orders.cancel'
  | 'inventory.get'
  | 'inventory.bulk'
  | 'listings.put'
  | 'listings.bulk';

// ---- What the adapter reads from the upstream (checked here, never trusted) ----

const Decimal = z.string().regex(/^-?\d{1,18}(\.\d{1,8})?$/);
const Iso = z.iso.datetime({ offset: true });
const UpAddress = z.object({
  name: z.string().max(255).nullish(),
  street: z.array(z.string().max(255)).max(3).default([]),
  city: z.string().max(255).nullish(),
  postcode: z.string().max(32).nullish(),
  country: z.string().regex(/^[A-Z]{2}$/).nullish(),
});
const UP_STATUS: Record<string, OrderStatus> = {
  pending: 'pending',
  processing: 'processing',
  partially_shipped: 'partially_shipped',
  complete: 'shipped',
  canceled: 'canceled',
  on_hold: 'on_hold',
  closed: 'refunded',
};
const DOWN_STATUS: Record<OrderStatus, string> = {
  pending: 'pending',
  processing: 'processing',
  partially_shipped: 'partially_shipped',
  shipped: 'complete',
  delivered: 'complete',
  canceled: 'canceled',
  refunded: 'closed',
  on_hold: 'on_hold',
};
const UpOrder = z.object({
  id: z.string().min(1).max(255),
  number: z.string().min(1).max(255),
  status: z.string().refine((s) => s in UP_STATUS, 'unknown order status'),
  currency: z.string().regex(/^[A-Z]{3}$/),
  customer: z.object({ id: z.string().max(255).nullish(), email: z.string().max(320).nullish(), name: z.string().max(255).nullish() }).nullish(),
  billing_address: UpAddress.nullish(),
  shipping_address: UpAddress.nullish(),
  items: z.array(
    z.object({
      id: z.string().min(1).max(255),
      sku: z.string().min(1).max(255),
      name: z.string().max(1024).nullish(),
      qty_ordered: z.number().int().min(0),
      qty_shipped: z.number().int().min(0),
      qty_canceled: z.number().int().min(0),
      price: Decimal,
      tax_amount: Decimal,
      discount_amount: Decimal,
      row_total: Decimal,
    }),
  ),
  subtotal: Decimal,
  shipping_amount: Decimal,
  tax_amount: Decimal,
  discount_amount: Decimal,
  grand_total: Decimal,
  placed_at: Iso.nullish(),
  created_at: Iso,
  updated_at: Iso,
  fulfillment: z.enum(['merchant', 'marketplace']).nullish(),
  shipments: z
    .array(z.object({ id: z.string().min(1), items: z.array(z.object({ item_id: z.string().nullish(), sku: z.string().min(1), qty: z.number().int().min(1) })), carrier: z.string().nullish(), tracking_number: z.string().nullish(), created_at: Iso }))
    .default([]),
});
const UpProduct = z.object({
  sku: z.string().min(1).max(255),
  name: z.string().min(1).max(1024),
  description: z.string().max(200_000).nullish(),
  status: z.enum(['enabled', 'disabled']),
  price: Decimal,
  currency: z.string().regex(/^[A-Z]{3}$/),
  ean: z.string().max(13).nullish(),
  brand: z.string().max(255).nullish(),
  attributes: z.record(z.string().max(255), z.union([z.string().max(65535), z.number(), z.boolean(), z.null()])).default({}),
  created_at: Iso,
  updated_at: Iso,
});
const UpLevel = z.object({
  sku: z.string().min(1).max(255),
  location: z.string().min(1).max(255),
  quantity: z.number().int(),
  reserved: z.number().int().min(0),
  fulfillment: z.enum(['merchant', 'marketplace']).nullish(),
  updated_at: Iso,
});
const ListEnvelope = z.object({ items: z.array(z.unknown()), next_page_token: z.string().min(1).nullable(), total: z.number().int().min(0) });
const KeyFields = {
  orders: z.object({ id: z.string().min(1), updated_at: z.string().nullish() }),
  products: z.object({ sku: z.string().min(1), updated_at: z.string().nullish() }),
  inventory: z.object({ sku: z.string().min(1), location: z.string().min(1), updated_at: z.string().nullish() }),
};
const Token = z.object({ access_token: z.string().min(1), expires_in: z.number().min(0) });
const Written = z.object({ id: z.string().min(1) }).passthrough();
const WrittenLevel = z.object({ sku: z.string(), location: z.string(), quantity: z.number(), updated_at: z.string() });

const LIST_OPS: Partial<Record<Entity, ScriptedOperation>> = { orders: 'orders.list', products: 'products.list', inventory: 'inventory.list' };

// ---- Mapping to the canonical model ----

const money = (amount: string, currency: string) => ({ amount, currency });

function address(a: z.infer<typeof UpAddress> | null | undefined) {
  if (!a) return null;
  return { name: a.name ?? null, line1: a.street[0] ?? null, line2: a.street[1] ?? null, line3: a.street[2] ?? null, city: a.city ?? null, region: null, postal_code: a.postcode ?? null, country: a.country ?? null };
}

function readOrThrow<T>(schema: z.ZodType<T>, entity: Entity, record: RawRecord): T {
  const r = schema.safeParse(record.payload);
  if (r.success) return r.data;
  const errors: FieldError[] = r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(record)', message: i.message }));
  throw new AppError('validation', `${CHANNEL} ${entity} record ${record.external_id} cannot be read: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors, retriable: false });
}

function toOrder(record: RawRecord): OrderInput {
  const o = readOrThrow(UpOrder, 'orders', record);
  const c = o.currency;
  return {
    external_id: o.id,
    order_number: o.number,
    marketplace_id: null,
    status: UP_STATUS[o.status]!,
    channel_status: o.status,
    fulfillment_channel: o.fulfillment ?? 'merchant',
    currency: c,
    totals: { subtotal: money(o.subtotal, c), shipping: money(o.shipping_amount, c), tax: money(o.tax_amount, c), discount: money(o.discount_amount, c), total: money(o.grand_total, c) },
    billing_address: address(o.billing_address),
    shipping_address: address(o.shipping_address),
    customer: { external_id: o.customer?.id ?? null, email: o.customer?.email ?? null, name: o.customer?.name ?? null },
    lines: o.items.map((it) => ({
      external_id: it.id,
      sku: it.sku,
      title: it.name ?? null,
      quantity: it.qty_ordered,
      quantity_shipped: it.qty_shipped,
      quantity_canceled: it.qty_canceled,
      unit_price: money(it.price, c),
      tax: money(it.tax_amount, c),
      discount: money(it.discount_amount, c),
      total: money(it.row_total, c),
    })),
    placed_at: o.placed_at ?? null,
    created_at: o.created_at,
    updated_at: o.updated_at,
  };
}

function toProduct(record: RawRecord): ProductInput {
  const p = readOrThrow(UpProduct, 'products', record);
  const prices = [{ price: money(p.price, p.currency) }];
  const identifiers = { sku: p.sku, ean: p.ean ?? null };
  return {
    external_id: p.sku,
    title: p.name,
    description: p.description ?? null,
    status: p.status === 'enabled' ? 'active' : 'inactive',
    product_type: null,
    brand: p.brand ?? null,
    options: [],
    identifiers,
    attributes: p.attributes,
    images: [],
    category_ids: [],
    prices,
    variants: [{ external_id: p.sku, sku: p.sku, title: p.name, position: 0, options: {}, identifiers, prices, weight: null, attributes: {}, updated_at: p.updated_at }],
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

function toLevel(record: RawRecord): InventoryLevelInput {
  const l = readOrThrow(UpLevel, 'inventory', record);
  return { sku: l.sku, location_id: l.location, fulfillment_channel: l.fulfillment ?? 'merchant', on_hand: l.quantity, reserved: l.reserved, available: l.quantity - l.reserved, updated_at: l.updated_at };
}

// ---- HTTP ----

interface Call {
  op: ScriptedOperation;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  idempotencyKey?: string;
}

function upstreamMessage(text: string): { message: string; errors?: FieldError[] } {
  try {
    const v = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = v?.error;
    if (!e) return { message: '' };
    const details = Array.isArray(e.details)
      ? e.details.filter((d): d is FieldError => typeof d === 'object' && d !== null && typeof d.path === 'string' && typeof d.message === 'string')
      : undefined;
    return { message: `${String(e.code ?? '')}: ${String(e.message ?? '')}`.slice(0, 300), errors: details };
  } catch {
    return { message: '' };
  }
}

/** Seconds or an HTTP date, as `retry-after` may be; null when absent or unreadable. */
function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

class ScriptedHttpClient {
  readonly #ctx: AdapterContext<ScriptedHttpSettings, ScriptedHttpCredentials>;
  readonly #account: string;
  readonly #base: string;
  readonly #learned = new Map<string, number>();
  #token: { value: string; refreshAt: number } | null = null;

  constructor(ctx: AdapterContext<ScriptedHttpSettings, ScriptedHttpCredentials>) {
    this.#ctx = ctx;
    this.#base = ctx.settings.base_url.replace(/\/+$/, '');
    // The upstream account is the key on that server; its hash names the bucket, never the key itself.
    this.#account = createHash('sha256').update(`${this.#base}\n${ctx.credentials.api_key}`).digest('hex').slice(0, 16);
  }

  /** The throttle key of an operation, e.g. `scripted_http:3f2a…:orders.list`. */
  throttleKey(op: ScriptedOperation): string {
    return `${CHANNEL}:${this.#account}:${this.#ctx.settings.throttle_scope === 'account' ? '*' : op}`;
  }

  get #spec(): RateSpec {
    return { ratePerSec: this.#ctx.settings.rate_per_sec, burst: this.#ctx.settings.burst };
  }

  async call(c: Call): Promise<unknown> {
    const useToken = this.#ctx.settings.auth === 'token' && c.op !== 'auth.token';
    for (let refreshed = false; ; refreshed = true) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (useToken) headers.authorization = `Bearer ${await this.#bearer()}`;
      else headers['x-api-key'] = this.#ctx.credentials.api_key;
      if (c.body !== undefined) headers['content-type'] = 'application/json';
      if (c.idempotencyKey !== undefined) headers['idempotency-key'] = c.idempotencyKey;
      const { status, text, res } = await this.#exchange(c, headers);
      // An expired or revoked token: get a new one and try once more (writes keep their idempotency key).
      if (status === 401 && useToken && !refreshed) {
        this.#token = null;
        continue;
      }
      if (status === 429) {
        const wait = retryAfterMs(res.headers.get('retry-after')) ?? Math.ceil(1000 / this.#spec.ratePerSec);
        await this.#ctx.throttle?.penalize(this.throttleKey(c.op), wait);
        throw new AppError('throttled', `${CHANNEL} ${c.op} was rate limited (retry after ${wait} ms)`, { retryAfterMs: wait });
      }
      if (status < 200 || status > 299) throw this.#statusError(c.op, status, text);
      try {
        return text === '' ? null : (JSON.parse(text) as unknown);
      } catch (err) {
        throw new AppError('upstream_unavailable', `${CHANNEL} ${c.op} answered a malformed JSON body`, { cause: err });
      }
    }
  }

  async #exchange(c: Call, headers: Record<string, string>): Promise<{ status: number; text: string; res: Response }> {
    const key = this.throttleKey(c.op);
    const throttle = this.#ctx.throttle;
    if (throttle) await throttle.acquire(key, this.#spec);
    const url = new URL(this.#base + c.path);
    for (const [k, v] of Object.entries(c.query ?? {})) url.searchParams.set(k, v);
    const timeout = this.#ctx.settings.timeout_ms;
    let res: Response;
    let text: string;
    const started = performance.now();
    try {
      res = await fetch(url, { method: c.method, headers, body: c.body === undefined ? undefined : JSON.stringify(c.body), signal: AbortSignal.timeout(timeout) });
      text = await res.text();
      this.#ctx.onUpstreamCall?.({ operation: c.op, status: res.status, durationMs: performance.now() - started });
    } catch (err) {
      this.#ctx.onUpstreamCall?.({ operation: c.op, status: null, durationMs: performance.now() - started });
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const why = timedOut ? `timed out after ${timeout} ms` : `failed: ${err instanceof Error ? String((err as { cause?: unknown }).cause ?? err.message) : 'network error'}`;
      throw new AppError('upstream_unavailable', `${CHANNEL} ${c.op} ${why}`, { cause: err });
    }
    const limit = Number(res.headers.get('x-ratelimit-limit'));
    if (throttle && res.headers.has('x-ratelimit-limit') && Number.isFinite(limit) && limit > 0 && limit !== (this.#learned.get(key) ?? this.#spec.ratePerSec)) {
      this.#learned.set(key, limit);
      await throttle.learn(key, { ratePerSec: limit });
    }
    return { status: res.status, text, res };
  }

  #statusError(op: ScriptedOperation, status: number, text: string): AppError {
    const up = upstreamMessage(text);
    const message = `${CHANNEL} ${op} answered ${status}${up.message ? ` (${up.message})` : ''}`;
    if (status === 401 || status === 403) return new AppError('auth_failed', message);
    if (status === 400 || status === 422) return new AppError('validation', message, { errors: up.errors, retriable: false });
    if (status === 404) return new AppError('not_found', message);
    if (status === 409) return new AppError('conflict', message);
    if (status >= 500) return new AppError('upstream_unavailable', message);
    return new AppError('upstream_rejected', message);
  }

  async #bearer(): Promise<string> {
    if (this.#token && Date.now() < this.#token.refreshAt) return this.#token.value;
    const body = Token.safeParse(await this.call({ op: 'auth.token', method: 'POST', path: '/auth/token' }));
    if (!body.success) throw new AppError('upstream_unavailable', `${CHANNEL} auth.token answered an unexpected body`);
    const ttl = body.data.expires_in * 1000;
    // Refresh a little early; a token that still expires mid-run is retried once on its 401.
    this.#token = { value: body.data.access_token, refreshAt: Date.now() + ttl - Math.min(30_000, ttl / 10) };
    return this.#token.value;
  }
}

function parsed<T>(schema: z.ZodType<T>, op: ScriptedOperation, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('upstream_unavailable', `${CHANNEL} ${op} answered an unexpected body`);
  return r.data;
}

function rawRecord(entity: Entity, op: ScriptedOperation, item: unknown): RawRecord {
  if (entity === 'orders') {
    const k = parsed(KeyFields.orders, op, item);
    return { external_id: k.id, updated_at: k.updated_at ?? null, payload: item };
  }
  if (entity === 'products') {
    const k = parsed(KeyFields.products, op, item);
    return { external_id: k.sku, updated_at: k.updated_at ?? null, payload: item };
  }
  const k = parsed(KeyFields.inventory, op, item);
  return { external_id: `${k.sku}@${k.location}`, updated_at: k.updated_at ?? null, payload: item };
}

/** The shipments inside an order record, one raw record each (external id: the shipment's id). */
function shipmentsOf(item: unknown): RawRecord[] {
  const o = UpOrder.safeParse(item);
  if (!o.success) return [];
  return o.data.shipments.map((s) => ({ external_id: s.id, updated_at: s.created_at, payload: { ...s, order_id: o.data.id } }));
}

const UpShipment = z.object({
  id: z.string().min(1),
  order_id: z.string().min(1),
  items: z.array(z.object({ item_id: z.string().nullish(), sku: z.string().min(1), qty: z.number().int().min(1) })),
  carrier: z.string().nullish(),
  tracking_number: z.string().nullish(),
  created_at: Iso,
});

function toShipment(record: RawRecord): ShipmentInput {
  const s = readOrThrow(UpShipment, 'shipments', record);
  return {
    external_id: s.id,
    order_external_id: s.order_id,
    lines: s.items.map((i) => ({ external_line_id: i.item_id ?? null, sku: i.sku, quantity: i.qty })),
    carrier: s.carrier ?? null,
    service: null,
    tracking_number: s.tracking_number ?? null,
    tracking_url: null,
    shipped_at: s.created_at,
    created_at: s.created_at,
    updated_at: s.created_at,
  };
}

const BulkAnswer = z.object({ accepted: z.array(z.string()), issues: z.array(z.object({ sku: z.string(), code: z.string(), message: z.string(), attribute: z.string().nullish() })), feed_id: z.string().nullish() });

function createAdapter(ctx: AdapterContext<ScriptedHttpSettings, ScriptedHttpCredentials>, extended = false): ChannelAdapter {
  const client = new ScriptedHttpClient(ctx);
  const seg = encodeURIComponent;

  const writes = {
    async setStock(input: SetStockInput, w: WriteContext): Promise<WriteResult> {
      const location = input.location_id ?? 'default';
      const body = { quantity: input.quantity, location };
      const level = parsed(WrittenLevel, 'inventory.set', await client.call({ op: 'inventory.set', method: 'PUT', path: `/inventory/${seg(input.sku)}`, body, idempotencyKey: w.idempotencyKey }));
      return { external_id: `${level.sku}@${level.location}`, data: { quantity: level.quantity, updated_at: level.updated_at } };
    },

    async createShipment(input: CreateShipmentInput, w: WriteContext): Promise<WriteResult> {
      // The platform keeps no service, tracking URL or ship date: those stay on our side.
      const body = {
        lines: input.lines.map((l) => ({ item_id: l.external_line_id ?? null, sku: l.sku, qty: l.quantity })),
        carrier: input.carrier ?? null,
        tracking_number: input.tracking_number ?? null,
      };
      const op = 'shipments.create';
      const out = parsed(Written, op, await client.call({ op, method: 'POST', path: `/orders/${seg(input.order_external_id)}/shipments`, body, idempotencyKey: w.idempotencyKey }));
      return { external_id: out.id, data: { order_external_id: input.order_external_id } };
    },

    async createOrder(input: OrderInput, w: WriteContext): Promise<WriteResult> {
      const back = (a: OrderInput['billing_address']) =>
        a ? { name: a.name ?? null, street: [a.line1, a.line2, a.line3].filter((s): s is string => !!s), city: a.city ?? null, postcode: a.postal_code ?? null, country: a.country ?? null } : null;
      const body = {
        number: input.order_number,
        status: DOWN_STATUS[input.status],
        currency: input.currency,
        customer: { id: input.customer.external_id ?? null, email: input.customer.email ?? null, name: input.customer.name ?? null },
        billing_address: back(input.billing_address),
        shipping_address: back(input.shipping_address),
        items: input.lines.map((l) => ({ sku: l.sku, name: l.title ?? null, qty_ordered: l.quantity, price: l.unit_price.amount, tax_amount: l.tax.amount, discount_amount: l.discount.amount })),
        shipping_amount: input.totals.shipping.amount,
        tax_amount: input.totals.tax.amount,
        discount_amount: input.totals.discount.amount,
        placed_at: input.placed_at ?? null,
        ...(extended ? { fulfillment: input.fulfillment_channel } : {}),
      };
      const out = parsed(Written, 'orders.create', await client.call({ op: 'orders.create', method: 'POST', path: '/orders', body, idempotencyKey: w.idempotencyKey }));
      return { external_id: out.id, data: { number: out.number ?? input.order_number } };
    },

    async updateProduct(input: UpdateProductInput, w: WriteContext): Promise<WriteResult> {
      const f = input.fields;
      const body: Record<string, unknown> = {};
      if (f.title !== undefined) body.name = f.title;
      if (f.description !== undefined) body.description = f.description;
      if (f.status !== undefined) {
        if (!['active', 'inactive', 'draft', 'archived'].includes(f.status)) throw new AppError('validation', `${CHANNEL} has no product status "${f.status}"`, { errors: [{ path: 'fields.status', message: 'unknown status' }] });
        body.status = f.status === 'active' ? 'enabled' : 'disabled';
      }
      if (f.attributes !== undefined) body.attributes = f.attributes;
      const sku = input.sku;
      await client.call({ op: 'products.update', method: 'PATCH', path: `/products/${seg(sku)}`, body, idempotencyKey: w.idempotencyKey });
      return { external_id: sku };
    },

    async cancelOrder(input: CancelOrderInput, w: WriteContext): Promise<WriteResult> {
      const op = 'orders.cancel';
      const out = parsed(Written, op, await client.call({ op, method: 'POST', path: `/orders/${seg(input.order_external_id)}/cancel`, body: { reason: input.reason ?? null }, idempotencyKey: w.idempotencyKey }));
      return { external_id: out.id, data: { status: out.status } };
    },
  };

  // The scripted_shop channel: the same platform with prices, bulk stock, listings and single reads.
  const more = {
    async updatePrice(input: UpdatePriceInput, w: WriteContext): Promise<WriteResult> {
      await client.call({ op: 'products.update', method: 'PATCH', path: `/products/${seg(input.sku)}`, body: { price: input.price.amount }, idempotencyKey: w.idempotencyKey });
      return { external_id: input.sku };
    },
    async updatePriceBulk(inputs: UpdatePriceInput[], w: WriteContext): Promise<BulkResult> {
      const out: BulkResult = { accepted: [], issues: [] };
      for (const [i, input] of inputs.entries()) {
        try {
          await more.updatePrice(input, { idempotencyKey: `${w.idempotencyKey}:${i}` });
          out.accepted.push(input.sku);
        } catch (err) {
          if (err instanceof AppError && (err.kind === 'validation' || err.kind === 'not_found')) out.issues.push({ sku: input.sku, code: err.kind, message: err.message, severity: 'error' });
          else throw err;
        }
      }
      return out;
    },
    async setStockBulk(inputs: SetStockInput[], w: WriteContext): Promise<BulkResult> {
      const body = { items: inputs.map((i) => ({ sku: i.sku, quantity: i.quantity, location: i.location_id ?? 'default' })) };
      const out = parsed(BulkAnswer, 'inventory.bulk', await client.call({ op: 'inventory.bulk', method: 'POST', path: '/inventory/bulk', body, idempotencyKey: w.idempotencyKey }));
      return { accepted: out.accepted, issues: out.issues.map((i) => ({ sku: i.sku, code: i.code, message: i.message, severity: 'error' as const })) };
    },
    async publishListings(inputs: ListingInput[], w: WriteContext): Promise<BulkResult> {
      if (inputs.length === 1) {
        const l = inputs[0]!;
        try {
          await client.call({ op: 'listings.put', method: 'PUT', path: `/listings/${seg(l.sku)}`, body: { product_type: l.product_type, attributes: scriptedAttributesOf(l), marketplace_id: l.marketplace_id ?? null }, idempotencyKey: w.idempotencyKey });
          return { accepted: [l.sku], issues: [] };
        } catch (err) {
          if (!(err instanceof AppError) || err.kind !== 'validation') throw err;
          const details = err.errors ?? [];
          return { accepted: [], issues: (details.length ? details : [{ path: '', message: err.message }]).map((d) => withField({ sku: l.sku, code: 'validation_failed', message: d.message, severity: 'error' as const, attribute: d.path.replace(/^attributes\./, '') || null })) };
        }
      }
      const body = { items: inputs.map((l) => ({ sku: l.sku, product_type: l.product_type, attributes: scriptedAttributesOf(l), marketplace_id: l.marketplace_id ?? null })) };
      const out = parsed(BulkAnswer, 'listings.bulk', await client.call({ op: 'listings.bulk', method: 'POST', path: '/listings/bulk', body, idempotencyKey: w.idempotencyKey }));
      return { accepted: out.accepted, issues: out.issues.map((i) => withField({ sku: i.sku, code: i.code, message: i.message, severity: 'error' as const, attribute: i.attribute ?? null })), external_id: out.feed_id ?? null };
    },
  };

  return {
    async testConnection() {
      await assertUpstreamUrl(ctx.settings.base_url, ctx.allowPrivateUpstreams, 'settings.base_url');
      await client.call({ op: 'me', method: 'GET', path: '/me' });
    },

    async pull(entity: Entity, request: PullRequest): Promise<PullPage> {
      if (extended && entity === 'shipments') {
        // Shipments live inside their orders: the orders pages of the window, flattened.
        const query: Record<string, string> = { limit: String(ctx.settings.page_size), updated_to: request.window.to };
        if (request.window.from) query.updated_from = request.window.from;
        if (request.cursor) query.page_token = request.cursor;
        const body = parsed(ListEnvelope, 'orders.list', await client.call({ op: 'orders.list', method: 'GET', path: '/orders', query }));
        return { records: body.items.flatMap(shipmentsOf), next: body.next_page_token };
      }
      const op = LIST_OPS[entity];
      if (!op) throw new AppError('validation', `${CHANNEL} cannot pull ${entity}`, { retriable: false });
      const query: Record<string, string> = { limit: String(ctx.settings.page_size), updated_to: request.window.to };
      if (request.window.from) query.updated_from = request.window.from;
      if (request.cursor) query.page_token = request.cursor;
      const body = parsed(ListEnvelope, op, await client.call({ op, method: 'GET', path: `/${entity}`, query }));
      return { records: body.items.map((item) => rawRecord(entity, op, item)), next: body.next_page_token };
    },

    normalize<E extends Entity>(entity: E, record: RawRecord): NormalizedByEntity[E] {
      if (entity === 'orders') return toOrder(record) as NormalizedByEntity[E];
      if (entity === 'products') return toProduct(record) as NormalizedByEntity[E];
      if (entity === 'inventory') return toLevel(record) as NormalizedByEntity[E];
      if (extended && entity === 'shipments') return toShipment(record) as NormalizedByEntity[E];
      throw new AppError('validation', `${CHANNEL} has no ${entity} records`, { retriable: false });
    },

    writes: extended ? { ...writes, ...more } : writes,
    ...(extended
      ? {
          async fetch(entity: Entity, externalId: string): Promise<RawRecord | null> {
            if (entity !== 'inventory') throw new AppError('validation', `${CHANNEL} cannot fetch one ${entity} record`, { retriable: false });
            try {
              const item = await client.call({ op: 'inventory.get', method: 'GET', path: `/inventory/${seg(externalId)}` });
              return rawRecord('inventory', 'inventory.get', item);
            } catch (err) {
              if (err instanceof AppError && err.kind === 'not_found') return null;
              throw err;
            }
          },
          async validateListing(input: ListingInput): Promise<ItemIssue[]> {
            const t = scriptedAttributesOf(input).item_name;
            return typeof t === 'string' && t.trim() ? [] : [{ sku: input.sku, code: 'MISSING_TITLE', message: 'item_name is required', severity: 'error', attribute: 'item_name', field: 'title' }];
          },
        }
      : {}),
  };
}

// The scripted platform speaks a marketplace's listing vocabulary (item_name, parentage_level,
// externally_assigned_product_identifier...): the Amazon adapter's mapping, taken as it is.
const scriptedAttributesOf = amazonAttributesOf;
const withField = withListingField;

/** The scripted channel over HTTP, against test/sim/scripted. */
export const scriptedHttpAdapter: AdapterFactory<ScriptedHttpSettings, ScriptedHttpCredentials> = {
  manifest: {
    channel: CHANNEL,
    displayName: 'Scripted HTTP test upstream',
    capabilities: ['orders.read', 'products.read', 'inventory.read', 'inventory.write', 'shipments.write', 'orders.write', 'products.write', 'orders.cancel'],
  },
  // The simulator stamps updated_at synchronously with the change, so it needs no safety lag.
  sync: { safetyLagMs: 0, overlapMs: 1000, intervalsSec: { orders: 60, products: 300, inventory: 60 }, detectsDeletions: { products: true, inventory: true } },
  settingsSchema: Settings,
  credentialsSchema: Credentials,
  create: (ctx) => createAdapter(ctx),
};

/**
 * The same platform as a full commerce channel (channel `scripted_shop`): shipments, listings, prices,
 * bulk stock and single reads. The flows' tests use two or three of these as a store and marketplaces:
 * a channel the flows have never heard of.
 */
export const scriptedShopAdapter: AdapterFactory<ScriptedHttpSettings, ScriptedHttpCredentials> = {
  manifest: {
    channel: 'scripted_shop',
    displayName: 'Scripted shop (test upstream with listings)',
    capabilities: ['orders.read', 'products.read', 'inventory.read', 'shipments.read', 'inventory.write', 'shipments.write', 'orders.write', 'products.write', 'orders.cancel', 'listings.write', 'listings.feed'],
  },
  sync: { safetyLagMs: 0, overlapMs: 1000, intervalsSec: { orders: 60, products: 300, inventory: 60, shipments: 60 }, detectsDeletions: {} },
  settingsSchema: Settings,
  credentialsSchema: Credentials,
  create: (ctx) => createAdapter(ctx, true),
};

const adapters: AdapterFactory[] = [scriptedHttpAdapter, scriptedShopAdapter];
export default adapters;
