// A Magento 2.4 Open Source store over REST (/rest/<store_code>/V1/...): Hono on 127.0.0.1, routes named by the
// official admin schema's path templates, OAuth 1.0a / admin-token / Bearer auth as Magento checks them,
// searchCriteria lists, Magento's error envelope, and runtime faults. Every answer is validated against the
// schema; problems land in `violations`. See README.md next to this file.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { MagentoFaults } from './faults.ts';
import { hmacSignature, parseOAuthHeader, queryParams, safeEqual, signatureBaseString, type OAuthCredentials, type OAuthSignatureMethod } from './oauth.ts';
import { attributeJson, attributeOptionsJson, categoryJson, categoryTreeJson, configurableOptionsJson, customerJson, invoiceJson, orderItemJson, orderJson, productJson, shipmentJson, stockItemJson } from './render.ts';
import { loadMagentoSchema, type MagentoSchema } from './schema.ts';
import { applySearchCriteria, parseSearchCriteria, SearchCriteriaError, type FieldValue, type ResultCache, type SearchCriteria } from './search.ts';
import { MagentoState, magentoDate, round2, type Address, type Order, type Product, type SeedOptions, type Store, type StoreSpec } from './state.ts';

export interface MagentoSimOptions {
  seed?: SeedOptions;
  /** default true: MSI source items, sources, stocks and salable quantity routes present */
  msi?: boolean;
  /** default: 'default' (English, USD, website base) and 'de' (German, EUR, website eu); 'all' always works */
  stores?: StoreSpec[];
  /** default false: integration access tokens used as Bearer get 401 (Magento >= 2.4.4) */
  allowIntegrationBearer?: boolean;
  /** default Date.now: token expiry, OAuth timestamp window, updated_at of writes */
  clock?: () => number;
  /** default 300 (Magento's webapi input limit, maximum_page_size): larger pageSize is a 400 */
  pageSizeMax?: number;
  /**
   * default 'all': every answer is validated against the schema. 'sample': the first 5 answers per operation and
   * status only (benchmarks: validating a 300-order page costs ~50-100 ms). 'off': none.
   */
  validateResponses?: 'all' | 'sample' | 'off';
  /** default false: Magento_TwoFactorAuth on, so POST /V1/integration/admin/token is refused (401) */
  twoFactorAuth?: boolean;
  /**
   * default 'global': one price per product (catalog/price/scope 0). 'website': a website may have its own
   * price (state.setWebsitePrice, or base-prices rows with a store id); reads through a store view answer
   * its website's price.
   */
  priceScope?: 'global' | 'website';
}

export interface RequestLog {
  method: string;
  path: string;
  template: string | null;
  status: number;
}

export interface MagentoSim {
  url: string;
  credentials: {
    oauth1: OAuthCredentials;
    admin: { username: string; password: string };
    bearer: string;
  };
  state: MagentoState;
  faults: MagentoFaults;
  requests: RequestLog[];
  requestCount(): number;
  violations: string[];
  /** why each refused request was refused (reason codes: no_auth, bad_signature, timestamp, nonce_reused, ...) */
  authFailures: { path: string; reason: string }[];
  schema: MagentoSchema;
  /** `METHOD /template` of every operation the simulator serves (all exist in the schema) */
  operations: string[];
  config: { msi: boolean; allowIntegrationBearer: boolean; pageSizeMax: number };
  stop(): Promise<void>;
}

export const DEFAULT_STORES: StoreSpec[] = [
  { code: 'default', name: 'Default Store View', website_code: 'base', currency: 'USD', locale: 'en_US' },
  { code: 'de', name: 'German Store View', website_code: 'eu', currency: 'EUR', locale: 'de_DE' },
];
export const ADMIN_TOKEN_TTL_MS = 4 * 3_600_000;
export const OAUTH_TIME_DEVIATION_S = 600;
export const UNAUTHORIZED = "The consumer isn't authorized to access %resources.";

export class MageError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly parameters?: Record<string, string> | string[],
  ) {
    super(message);
  }
}
const required = (field: string) => new MageError(400, '"%fieldName" is required. Enter and try again.', { fieldName: field });
const noProduct = () => new MageError(404, "The product that was requested doesn't exist. Verify the product and try again.");
const noEntity = (field: string, value: string) => new MageError(404, 'No such entity with %fieldName = %fieldValue', { fieldName: field, fieldValue: value });
const noOrder = () => new MageError(404, "The entity that was requested doesn't exist. Verify the entity and try again.");

function resourceFor(template: string): string {
  if (template.startsWith('/V1/inventory')) return 'Magento_InventoryApi::inventory';
  if (/^\/V1\/(products|configurable-products|stockItems|categories)/.test(template)) return template.startsWith('/V1/categories') ? 'Magento_Catalog::categories' : 'Magento_Catalog::products';
  if (/^\/V1\/(orders?|invoices?|shipments?|shipment)\b/.test(template)) return 'Magento_Sales::sales';
  if (template.startsWith('/V1/customers')) return 'Magento_Customer::customer';
  if (template.startsWith('/V1/store')) return 'Magento_Backend::stores';
  if (template.includes('carts')) return 'Magento_Cart::manage';
  return 'Magento_Backend::admin';
}

type Handler = (ctx: Ctx) => unknown | Promise<unknown>;
interface Ctx {
  store: Store | null;
  storeCode: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  now: number;
}

type FieldTree = { [k: string]: FieldTree | true };
/** `a,b[c,d[e]]` into { a: true, b: { c: true, d: { e: true } } }. */
export function parseFields(expr: string): FieldTree {
  let i = 0;
  const parse = (): FieldTree => {
    const out: FieldTree = {};
    let name = '';
    while (i < expr.length) {
      const ch = expr[i++]!;
      if (ch === '[') {
        out[name.trim()] = parse();
        name = '';
      } else if (ch === ']') break;
      else if (ch === ',') {
        if (name.trim()) out[name.trim()] = true;
        name = '';
      } else name += ch;
    }
    if (name.trim()) out[name.trim()] = true;
    return out;
  };
  return parse();
}

export async function startMagentoSim(options: MagentoSimOptions = {}): Promise<MagentoSim> {
  const schema = loadMagentoSchema();
  const clock = options.clock ?? Date.now;
  const config = { msi: options.msi ?? true, allowIntegrationBearer: options.allowIntegrationBearer ?? false, pageSizeMax: options.pageSizeMax ?? 300 };
  const state = new MagentoState(clock, options.stores ?? DEFAULT_STORES);
  state.priceScope = options.priceScope ?? 'global';
  state.msi = config.msi;
  state.seed(options.seed ?? {});

  const hex = (n: number) => randomBytes(n).toString('hex').slice(0, n);
  const credentials = {
    oauth1: { consumer_key: hex(32), consumer_secret: hex(32), access_token: hex(32), access_token_secret: hex(32) },
    admin: { username: 'admin', password: 'admin123' },
    bearer: hex(32),
  };
  const adminTokens = new Map<string, number>([[credentials.bearer, clock() + ADMIN_TOKEN_TTL_MS]]);
  const nonces = new Set<string>();
  const faults = new MagentoFaults(() => {
    for (const k of adminTokens.keys()) adminTokens.set(k, clock() - 1);
  });
  const requests: RequestLog[] = [];
  const violations: string[] = [];
  const authFailures: { path: string; reason: string }[] = [];
  const hanging = new Set<() => void>();

  // ---------- auth ----------
  const authenticate = (c: Context, url: URL): string | null => {
    const header = c.req.header('authorization') ?? '';
    if (!header) return 'no_auth';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    if (bearer) {
      const token = bearer[1]!;
      const exp = adminTokens.get(token);
      if (exp !== undefined) return exp > clock() ? null : 'token_expired';
      if (token === credentials.oauth1.access_token) return config.allowIntegrationBearer ? null : 'integration_bearer_refused';
      return 'unknown_token';
    }
    const oauth = parseOAuthHeader(header);
    if (!oauth) return 'bad_scheme';
    if (oauth.oauth_consumer_key !== credentials.oauth1.consumer_key) return 'unknown_consumer';
    if (oauth.oauth_token !== credentials.oauth1.access_token) return 'unknown_token';
    const method = (oauth.oauth_signature_method ?? '').toUpperCase();
    if (method !== 'HMAC-SHA256' && method !== 'HMAC-SHA1') return 'signature_method';
    const ts = Number(oauth.oauth_timestamp);
    if (!Number.isFinite(ts) || Math.abs(Math.floor(clock() / 1000) - ts) > OAUTH_TIME_DEVIATION_S) return 'timestamp';
    const nonceKey = `${oauth.oauth_consumer_key}:${oauth.oauth_nonce ?? ''}`;
    if (!oauth.oauth_nonce) return 'nonce_missing';
    if (nonces.has(nonceKey)) return 'nonce_reused';
    // Magento stores the nonce while validating the protocol parameters, before it checks the signature:
    // a request refused for its signature has used up its nonce all the same
    nonces.add(nonceKey);
    const params: Record<string, string> = { ...queryParams(url.search.slice(1)) };
    for (const [k, v] of Object.entries(oauth)) params[k] = v;
    const base = signatureBaseString(c.req.method, url.toString(), params);
    const expected = hmacSignature(base, method as OAuthSignatureMethod, credentials.oauth1.consumer_secret, credentials.oauth1.access_token_secret);
    if (!safeEqual(expected, oauth.oauth_signature ?? '')) return 'bad_signature';
    return null;
  };

  // ---------- helpers ----------
  const sc = (ctx: Ctx, requiredParam = true): SearchCriteria => {
    const parsed = parseSearchCriteria(ctx.query, config.pageSizeMax);
    if (!parsed) {
      if (requiredParam) throw required('searchCriteria');
      return { filter_groups: [] };
    }
    return parsed;
  };
  const caches = new Map<string, Map<string, { fingerprint: string; rows: unknown[] }>>();
  let exportRows: { key: string; rows: Product[]; at: Map<string, number> } | undefined;
  const page = <T,>(rows: readonly T[], criteria: SearchCriteria, get: (row: T, field: string) => FieldValue, idOf: (row: T) => number, render: (row: T) => unknown, cacheAs?: { name: string; store: string }) => {
    let cache: ResultCache<T> | undefined;
    if (cacheAs) {
      // a later page of the same query reuses the filtered, sorted rows while nothing changed: rows added or
      // removed, any write through the API (state.version), or any updated_at moved (tests touching rows)
      let sum = 0;
      for (let i = 0; i < rows.length; i++) sum = (Math.imul(sum, 31) + (((rows[i] as { updated_at?: number }).updated_at ?? 0) / 1000 | 0)) | 0;
      const store = caches.get(cacheAs.name) ?? new Map();
      caches.set(cacheAs.name, store);
      cache = { key: `${cacheAs.store}|${JSON.stringify({ f: criteria.filter_groups, s: criteria.sort_orders })}`, fingerprint: `${rows.length}:${sum}:${state.version}`, store: store as ResultCache<T>['store'] };
    }
    const { items, total } = applySearchCriteria(rows, criteria, get, idOf, {
      repeatLastPage: faults.repeatLastPageOn,
      duplicateAcrossPages: faults.duplicateAcrossPagesOn,
      defaultPageSize: config.pageSizeMax,
    }, cache);
    return { items: items.map(render), search_criteria: criteria, total_count: total };
  };
  const product = (sku: string) => {
    const p = state.product(sku);
    if (!p) throw noProduct();
    return p;
  };
  const orderOf = (id: string) => {
    const o = /^\d+$/.test(id) ? state.ordersById.get(Number(id)) : undefined;
    if (!o) throw noOrder();
    return o;
  };
  const productField = (store: Store | null) => (p: Product, f: string): FieldValue => {
    switch (f) {
      case 'entity_id':
      case 'id':
        return p.id;
      case 'price':
        return state.priceIn(p, store);
      case 'sku':
      case 'type_id':
      case 'status':
      case 'visibility':
      case 'weight':
      case 'attribute_set_id':
        return p[f];
      case 'name':
        return (store && p.storeValues[store.code]?.name) ?? p.name;
      case 'created_at':
      case 'updated_at':
        return magentoDate(p[f]);
      case 'category_id':
        return p.category_ids;
      case 'website_id':
        return p.website_ids;
      default:
        return (store && p.storeValues[store.code]?.[f]) ?? p.attrs[f] ?? null;
    }
  };
  const orderField = (o: Order, f: string): FieldValue => {
    switch (f) {
      case 'entity_id':
      case 'increment_id':
      case 'status':
      case 'state':
      case 'store_id':
      case 'customer_id':
      case 'customer_email':
      case 'customer_firstname':
      case 'customer_lastname':
      case 'grand_total':
      case 'subtotal':
      case 'ext_order_id':
        return o[f] ?? null;
      case 'base_grand_total':
        return o.grand_total;
      case 'order_currency_code':
        return o.currency;
      case 'created_at':
      case 'updated_at':
        return magentoDate(o[f]);
      case 'customer_is_guest':
        return o.customer_id === null ? 1 : 0;
      default: {
        // any other sales_order column the answer carries; else SQLSTATE[42S22], masked in production
        const v = (orderJson(state, o) as Record<string, unknown>)[f];
        if (v === undefined || (typeof v === 'object' && v !== null)) throw new Error(`Column not found: ${f}`);
        return v as FieldValue;
      }
    }
  };
  const genericField = <T,>(render: (row: T) => Record<string, unknown>) => (row: T, f: string): FieldValue => {
    const r = row as Record<string, unknown>;
    // columns kept on the row itself are read without rendering it
    if (f === 'entity_id' || f === 'id' || f === 'order_id' || f === 'increment_id' || f === 'store_id' || f === 'email') {
      const v = r[f];
      if (typeof v === 'number' || typeof v === 'string') return v;
    }
    if ((f === 'created_at' || f === 'updated_at') && typeof r[f] === 'number') return magentoDate(r[f] as number);
    const j = render(row);
    if (!(f in j)) throw new Error(`Column not found: ${f}`);
    const v = j[f];
    return typeof v === 'object' && v !== null ? null : (v as FieldValue);
  };
  const parseAddress = (a: unknown): Address | null => {
    if (!a || typeof a !== 'object') return null;
    const x = a as Record<string, unknown>;
    const s = (k: string) => (typeof x[k] === 'string' ? (x[k] as string) : typeof x[k] === 'number' ? String(x[k]) : undefined);
    for (const k of ['firstname', 'lastname', 'city', 'country_id', 'postcode', 'telephone']) if (!s(k)) throw required(k);
    return {
      firstname: s('firstname')!,
      lastname: s('lastname')!,
      street: Array.isArray(x.street) ? (x.street as unknown[]).map(String) : [s('street') ?? ''],
      city: s('city')!,
      postcode: s('postcode')!,
      country_id: s('country_id')!,
      telephone: s('telephone')!,
      ...(s('region') ? { region: s('region')! } : {}),
      ...(s('company') ? { company: s('company')! } : {}),
      ...(s('email') ? { email: s('email')! } : {}),
    };
  };
  const num = (v: unknown, field: string): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new MageError(400, 'The "%1" value\'s type is invalid. The "%2" type was expected. Verify and try again.', [String(v), 'float']);
    void field;
    return n;
  };

  /** OrderRepository::save of a new order: the entity as given (totals kept), no reservations (no checkout ran). */
  const saveOrder = (ctx: Ctx) => {
    const e = ctx.body.entity as Record<string, unknown> | undefined;
    if (!e || typeof e !== 'object') throw required('entity');
    if (e.entity_id !== undefined && e.entity_id !== null) {
      const o = orderOf(String(e.entity_id));
      if (typeof e.status === 'string') o.status = e.status;
      if (typeof e.state === 'string') o.state = e.state;
      if (typeof e.ext_order_id === 'string') o.ext_order_id = e.ext_order_id;
      o.updated_at = ctx.now;
      return orderJson(state, o);
    }
    if (typeof e.customer_email !== 'string') throw required('customer_email');
    if (!Array.isArray(e.items) || e.items.length === 0) throw required('items');
    if (e.grand_total === undefined) throw required('grand_total');
    if (e.base_grand_total === undefined) throw required('base_grand_total');
    const store = (typeof e.store_id === 'number' ? state.storeById(e.store_id) : null) ?? ctx.store ?? state.stores[0]!;
    const lines = (e.items as Record<string, unknown>[])
      .filter((it) => it.parent_item_id === undefined || it.parent_item_id === null)
      .map((it) => {
        if (typeof it.sku !== 'string') throw required('sku');
        const p = product(it.sku);
        return {
          product: p,
          qty: num(it.qty_ordered ?? 1, 'qty_ordered'),
          price: num(it.price ?? p.price, 'price'),
          ...(typeof it.name === 'string' ? { name: it.name } : {}),
          tax: it.tax_amount !== undefined ? num(it.tax_amount, 'tax_amount') : 0,
          discount: it.discount_amount !== undefined ? num(it.discount_amount, 'discount_amount') : 0,
          ...(typeof it.ext_order_item_id === 'string' ? { ext_order_item_id: it.ext_order_item_id } : {}),
        };
      });
    const billing = parseAddress(e.billing_address);
    if (!billing) throw required('billing_address');
    const ext = e.extension_attributes as { shipping_assignments?: { shipping?: { address?: unknown; method?: string } }[] } | undefined;
    const shipping = parseAddress(ext?.shipping_assignments?.[0]?.shipping?.address) ?? null;
    const payment = e.payment as { method?: string } | undefined;
    if (!payment?.method) throw required('method');
    const customer = typeof e.customer_id === 'number' ? state.customers.find((c) => c.id === e.customer_id) ?? null : null;
    const o = state.buildOrder({
      store,
      customer,
      email: e.customer_email,
      firstname: typeof e.customer_firstname === 'string' ? e.customer_firstname : billing.firstname,
      lastname: typeof e.customer_lastname === 'string' ? e.customer_lastname : billing.lastname,
      billing,
      shipping,
      lines,
      shipping_amount: e.shipping_amount !== undefined ? num(e.shipping_amount, 'shipping_amount') : 0,
      at: ctx.now,
      payment_method: payment.method,
      totals: {
        grand_total: num(e.grand_total, 'grand_total'),
        ...(e.subtotal !== undefined ? { subtotal: num(e.subtotal, 'subtotal') } : {}),
        ...(e.tax_amount !== undefined ? { tax_amount: num(e.tax_amount, 'tax_amount') } : {}),
        ...(e.discount_amount !== undefined ? { discount_amount: num(e.discount_amount, 'discount_amount') } : {}),
      },
    });
    if (typeof e.increment_id === 'string' && e.increment_id) {
      if (state.orderByIncrementId(e.increment_id)) {
        // sales_order's unique key on (increment_id, store_id)
        throw new MageError(400, 'The order couldn\'t be saved.');
      }
      o.increment_id = e.increment_id;
    }
    if (typeof e.ext_order_id === 'string') o.ext_order_id = e.ext_order_id;
    if (typeof e.order_currency_code === 'string') o.currency = e.order_currency_code;
    if (typeof e.status === 'string') o.status = e.status;
    if (typeof e.state === 'string') o.state = e.state;
    if (ext?.shipping_assignments?.[0]?.shipping?.method) o.shipping_method = ext.shipping_assignments[0].shipping.method;
    state.insertOrder(o);
    return orderJson(state, o);
  };

  const ship = (ctx: Ctx) => {
    const o = orderOf(ctx.params.orderId!);
    const items = (ctx.body.items as { order_item_id?: unknown; qty?: unknown }[] | undefined) ?? [];
    const tracks = ((ctx.body.tracks as Record<string, unknown>[] | undefined) ?? []).map((t) => {
      for (const k of ['track_number', 'title', 'carrier_code']) if (typeof t[k] !== 'string') throw required(k);
      return { track_number: t.track_number as string, title: t.title as string, carrier_code: t.carrier_code as string };
    });
    const messages: string[] = [];
    if (!state.canShip(o)) messages.push('The order does not allow a shipment to be created.');
    let lines: { order_item_id: number; qty: number }[] | null = null;
    if (items.length) {
      lines = [];
      let total = 0;
      for (const raw of items) {
        const id = Number(raw.order_item_id);
        const qty = num(raw.qty, 'qty');
        let it = o.items.find((x) => x.item_id === id);
        if (!it) {
          messages.push(`The shipment contains product SKU "" that is not part of the original order.`);
          continue;
        }
        if (it.parent_item_id !== null) {
          // a configurable's child row is a dummy: it ships with its parent
          it = o.items.find((x) => x.item_id === it!.parent_item_id)!;
        }
        if (qty > state.qtyToShip(o, it)) {
          messages.push(`The quantity to ship must not be greater than the unshipped quantity for product SKU "${it.sku}".`);
          continue;
        }
        total += qty;
        if (qty > 0) lines.push({ order_item_id: it.item_id, qty });
      }
      if (total <= 0) messages.push("You can't create a shipment without products.");
    } else if (state.canShip(o) && !o.items.some((it) => it.parent_item_id === null && state.qtyToShip(o, it) > 0)) {
      messages.push("You can't create a shipment without products.");
    }
    if (messages.length) throw new MageError(400, 'Shipment Document Validation Error(s):\n' + [...new Set(messages)].join('\n'));
    const s = state.createShipment(o, lines, tracks, ctx.now);
    const comment = ctx.body.comment as { comment?: string } | undefined;
    if (comment?.comment) s.comments.push({ entity_id: s.entity_id * 10 + 1, parent_id: s.entity_id, comment: comment.comment, is_customer_notified: ctx.body.notify ? 1 : 0, is_visible_on_front: 0, created_at: ctx.now });
    return s.entity_id;
  };

  const invoice = (ctx: Ctx) => {
    const o = orderOf(ctx.params.orderId!);
    const items = (ctx.body.items as { order_item_id?: unknown; qty?: unknown }[] | undefined) ?? [];
    const top = o.items.filter((it) => it.parent_item_id === null);
    const canInvoice = o.state !== 'canceled' && o.state !== 'holded' && o.state !== 'closed' && top.some((it) => it.qty_ordered - it.qty_invoiced - it.qty_canceled > 0);
    if (!canInvoice) throw new MageError(400, 'Invoice Document Validation Error(s):\nThe order does not allow an invoice to be created.');
    let lines: { order_item_id: number; qty: number }[] | null = null;
    if (items.length) {
      lines = [];
      for (const raw of items) {
        const it = o.items.find((x) => x.item_id === Number(raw.order_item_id));
        const qty = num(raw.qty, 'qty');
        if (!it || qty > it.qty_ordered - it.qty_invoiced - it.qty_canceled) throw new MageError(400, 'Invoice Document Validation Error(s):\nThe quantity to invoice must not be greater than the uninvoiced quantity for product SKU "%1".'.replace('%1', it?.sku ?? ''));
        if (qty > 0) lines.push({ order_item_id: it.item_id, qty });
      }
    }
    return state.createInvoice(o, lines, ctx.now).entity_id;
  };

  // ---------- guest checkout (quote -> order placement with reservations) ----------
  interface Cart {
    id: string;
    quote_id: number;
    store: Store;
    items: { item_id: number; product: Product; qty: number }[];
    shipping: Address | null;
    billing: Address | null;
    shippingMethod: string | null;
    active: boolean;
  }
  const carts = new Map<string, Cart>();
  let quoteSeq = 0;
  let quoteItemSeq = 0;
  const cartOf = (ctx: Ctx) => {
    const cart = carts.get(ctx.params.cartId!);
    if (!cart || !cart.active) throw noEntity('cartId', ctx.params.cartId!);
    return cart;
  };
  const SHIPPING_RATE = 5;
  const cartTotals = (cart: Cart) => {
    const subtotal = round2(cart.items.reduce((n, i) => n + i.product.price * i.qty, 0));
    const shipping = cart.shippingMethod ? round2(SHIPPING_RATE * cart.items.reduce((n, i) => n + i.qty, 0)) : 0;
    const grand = round2(subtotal + shipping);
    const currency = state.websites.find((w) => w.id === cart.store.website_id)?.currency ?? 'USD';
    return {
      grand_total: grand,
      base_grand_total: grand,
      subtotal,
      base_subtotal: subtotal,
      discount_amount: 0,
      base_discount_amount: 0,
      subtotal_with_discount: subtotal,
      base_subtotal_with_discount: subtotal,
      shipping_amount: shipping,
      base_shipping_amount: shipping,
      shipping_discount_amount: 0,
      base_shipping_discount_amount: 0,
      tax_amount: 0,
      base_tax_amount: 0,
      weee_tax_applied_amount: 0,
      shipping_tax_amount: 0,
      base_shipping_tax_amount: 0,
      subtotal_incl_tax: subtotal,
      base_subtotal_incl_tax: subtotal,
      shipping_incl_tax: shipping,
      base_shipping_incl_tax: shipping,
      base_currency_code: currency,
      quote_currency_code: currency,
      items_qty: cart.items.reduce((n, i) => n + i.qty, 0),
      items: cart.items.map((i) => ({ item_id: i.item_id, price: i.product.price, base_price: i.product.price, qty: i.qty, row_total: round2(i.product.price * i.qty), base_row_total: round2(i.product.price * i.qty), row_total_with_discount: 0, tax_amount: 0, base_tax_amount: 0, tax_percent: 0, discount_amount: 0, base_discount_amount: 0, discount_percent: 0, options: '[]', weee_tax_applied_amount: 0, weee_tax_applied: '', name: i.product.name })),
      total_segments: [
        { code: 'subtotal', title: 'Subtotal', value: subtotal },
        { code: 'shipping', title: 'Shipping & Handling (Flat Rate - Fixed)', value: shipping },
        { code: 'tax', title: 'Tax', value: 0 },
        { code: 'grand_total', title: 'Grand Total', value: grand, area: 'footer' },
      ],
    };
  };
  const quoteAddress = (raw: unknown, field: string): Address => {
    const a = parseAddress(raw);
    if (!a) throw required(field);
    return a;
  };
  const cartItemJson = (cart: Cart, i: Cart['items'][number]) => ({ item_id: i.item_id, sku: i.product.sku, qty: i.qty, name: i.product.name, price: i.product.price, product_type: i.product.type_id, quote_id: String(cart.quote_id) });
  const cartRoutes: Record<string, Handler> = {
    'POST /V1/guest-carts': (ctx) => {
      const id = randomBytes(16).toString('hex');
      carts.set(id, { id, quote_id: ++quoteSeq, store: ctx.store ?? state.stores[0]!, items: [], shipping: null, billing: null, shippingMethod: null, active: true });
      return id;
    },
    'GET /V1/guest-carts/{cartId}/items': (ctx) => {
      const cart = cartOf(ctx);
      return cart.items.map((i) => cartItemJson(cart, i));
    },
    'POST /V1/guest-carts/{cartId}/items': (ctx) => {
      const cart = cartOf(ctx);
      const ci = ctx.body.cartItem as { sku?: string; qty?: unknown } | undefined;
      if (!ci) throw required('cartItem');
      if (typeof ci.sku !== 'string') throw required('sku');
      const p = product(ci.sku);
      if (p.type_id !== 'simple') throw new MageError(400, 'You need to choose options for your item.');
      const qty = num(ci.qty ?? 1, 'qty');
      const existing = cart.items.find((i) => i.product.id === p.id);
      const want = qty + (existing?.qty ?? 0);
      if (state.salable(p.sku, state.stockIdFor(cart.store)) < want) throw new MageError(400, 'The requested qty is not available');
      if (existing) existing.qty = want;
      else cart.items.push({ item_id: ++quoteItemSeq, product: p, qty });
      const item = existing ?? cart.items[cart.items.length - 1]!;
      return cartItemJson(cart, item);
    },
    'POST /V1/guest-carts/{cartId}/shipping-information': (ctx) => {
      const cart = cartOf(ctx);
      const info = ctx.body.addressInformation as Record<string, unknown> | undefined;
      if (!info) throw required('addressInformation');
      cart.shipping = quoteAddress(info.shipping_address, 'shipping_address');
      if (info.billing_address) cart.billing = quoteAddress(info.billing_address, 'billing_address');
      if (info.shipping_carrier_code !== 'flatrate' || info.shipping_method_code !== 'flatrate') throw new MageError(400, 'Carrier with such method not found: %1, %2', [String(info.shipping_carrier_code), String(info.shipping_method_code)]);
      cart.shippingMethod = 'flatrate_flatrate';
      return { payment_methods: [{ code: 'checkmo', title: 'Check / Money order' }, { code: 'banktransfer', title: 'Bank Transfer Payment' }], totals: cartTotals(cart) };
    },
    'POST /V1/guest-carts/{cartId}/payment-information': (ctx) => {
      const cart = cartOf(ctx);
      if (typeof ctx.body.email !== 'string') throw required('email');
      const pm = ctx.body.paymentMethod as { method?: string } | undefined;
      if (!pm?.method) throw required('paymentMethod');
      if (pm.method !== 'checkmo' && pm.method !== 'banktransfer') throw new MageError(400, 'The requested Payment Method is not available.');
      if (ctx.body.billingAddress) cart.billing = quoteAddress(ctx.body.billingAddress, 'billingAddress');
      if (!cart.items.length) throw new MageError(400, 'Unable to place order: Please specify order items.');
      if (!cart.shippingMethod || !cart.shipping) throw new MageError(400, 'The shipping method is missing. Select the shipping method and try again.');
      const billing = cart.billing ?? cart.shipping;
      const stockId = state.stockIdFor(cart.store);
      for (const i of cart.items) if (state.salable(i.product.sku, stockId) < i.qty) throw new MageError(400, 'Not all of your products are available in the requested quantity.');
      const t = cartTotals(cart);
      const o = state.buildOrder({
        store: cart.store,
        customer: null,
        email: ctx.body.email,
        firstname: billing.firstname,
        lastname: billing.lastname,
        billing,
        shipping: cart.shipping,
        lines: cart.items.map((i) => ({ product: i.product, qty: i.qty, price: i.product.price })),
        shipping_amount: t.shipping_amount,
        at: ctx.now,
        payment_method: pm.method,
      });
      state.insertOrder(o);
      state.placeReservations(o);
      cart.active = false;
      return o.entity_id;
    },
  };

  const storeViews = () => [
    { id: 0, code: 'admin', name: 'Admin', website_id: 0, store_group_id: 0, is_active: 1 },
    ...state.stores.map((s) => ({ id: s.id, code: s.code, name: s.name, website_id: s.website_id, store_group_id: s.group_id, is_active: 1 })),
  ];
  const msiOnly = (h: Handler): Handler => (ctx) => {
    if (!config.msi) throw new MageError(404, 'Request does not match any route.');
    return h(ctx);
  };

  // ---------- routes (keys are the schema's templates) ----------
  const routes: Record<string, Handler> = {
    'GET /V1/products': (ctx) => page(state.products, sc(ctx), productField(ctx.store), (p) => p.id, (p) => productJson(state, p, ctx.store), { name: 'products', store: ctx.storeCode }),
    'GET /V1/products/{sku}': (ctx) => productJson(state, product(ctx.params.sku!), ctx.store),
    'PUT /V1/products/{sku}': (ctx) => {
      const body = ctx.body.product as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object') throw required('product');
      let p = state.product(ctx.params.sku!);
      if (!p) return createProduct(ctx, { ...body, sku: body.sku ?? ctx.params.sku });
      applyProduct(ctx, p, body);
      return productJson(state, p, ctx.store);
    },
    'POST /V1/products': (ctx) => {
      const body = ctx.body.product as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object') throw required('product');
      const existing = typeof body.sku === 'string' ? state.product(body.sku) : undefined;
      if (existing) {
        applyProduct(ctx, existing, body);
        return productJson(state, existing, ctx.store);
      }
      return createProduct(ctx, body);
    },
    'GET /V1/products/{sku}/media': (ctx) => product(ctx.params.sku!).media.map((m) => ({ ...m })),
    'GET /V1/products/{sku}/media/{entryId}': (ctx) => {
      const m = product(ctx.params.sku!).media.find((x) => String(x.id) === ctx.params.entryId);
      if (!m) throw new MageError(404, "The image doesn't exist. Verify and try again.");
      return { ...m };
    },
    'POST /V1/products/{sku}/media': (ctx) => {
      const p = product(ctx.params.sku!);
      const e = ctx.body.entry as Record<string, unknown> | undefined;
      if (!e) throw required('entry');
      const id = state.nextMediaId();
      const content = e.content as { name?: string } | undefined;
      p.media.push({ id, media_type: 'image', label: String(e.label ?? ''), position: Number(e.position ?? p.media.length + 1), disabled: Boolean(e.disabled), types: Array.isArray(e.types) ? (e.types as string[]) : [], file: `/${(content?.name ?? `image-${id}.jpg`).toLowerCase()}` });
      p.updated_at = ctx.now;
      return id;
    },
    'GET /V1/products/attributes/{attributeCode}': (ctx) => {
      const a = attributeJson(ctx.params.attributeCode!);
      if (!a) throw new MageError(404, 'The attribute with a "%1" attributeCode doesn\'t exist. Verify the attribute and try again.', [ctx.params.attributeCode!]);
      return a;
    },
    'GET /V1/products/attributes/{attributeCode}/options': (ctx) => {
      if (!attributeJson(ctx.params.attributeCode!)) throw new MageError(404, 'The attribute with a "%1" attributeCode doesn\'t exist. Verify the attribute and try again.', [ctx.params.attributeCode!]);
      return attributeOptionsJson(ctx.params.attributeCode!);
    },
    'GET /V1/configurable-products/{sku}/children': (ctx) => {
      const p = product(ctx.params.sku!);
      return p.children.map((id) => {
        // the children endpoint answers a slimmer product (no stock item, no media), as Magento does
        const j = productJson(state, state.productsById.get(id)!, ctx.store);
        delete j.extension_attributes;
        delete j.media_gallery_entries;
        return j;
      });
    },
    'GET /V1/configurable-products/{sku}/options/all': (ctx) => {
      const p = product(ctx.params.sku!);
      return p.type_id === 'configurable' ? configurableOptionsJson(state, p) : [];
    },
    'GET /V1/categories': (ctx) => {
      const rootId = ctx.query.get('rootCategoryId');
      const depth = ctx.query.get('depth');
      const root = state.categories.find((c) => c.id === (rootId ? Number(rootId) : 2));
      if (!root) throw noEntity('id', rootId ?? '');
      return categoryTreeJson(state, root, depth ? Number(depth) : null);
    },
    'GET /V1/categories/list': (ctx) => page(state.categories, sc(ctx), genericField((c) => categoryJson(state, c)), (c) => c.id, (c) => categoryJson(state, c)),
    'GET /V1/categories/{categoryId}': (ctx) => {
      const c = state.categories.find((x) => String(x.id) === ctx.params.categoryId);
      if (!c) throw noEntity('id', ctx.params.categoryId!);
      return categoryJson(state, c);
    },
    'GET /V1/stockItems/{productSku}': (ctx) => stockItemJson(state, product(ctx.params.productSku!)),
    'PUT /V1/products/{productSku}/stockItems/{itemId}': (ctx) => {
      const p = product(ctx.params.productSku!);
      const si = ctx.body.stockItem as Record<string, unknown> | undefined;
      if (!si) throw required('stockItem');
      if (si.qty !== undefined && si.qty !== null) {
        const inStock = si.is_in_stock === undefined ? undefined : si.is_in_stock ? 1 : 0;
        state.setSourceQty(p.sku, 'default', num(si.qty, 'qty'), true, inStock as 0 | 1 | undefined);
      } else if (si.is_in_stock !== undefined) {
        state.setSourceQty(p.sku, 'default', state.legacyQty(p.sku), true, si.is_in_stock ? 1 : 0);
      }
      return p.id;
    },
    'GET /V1/inventory/source-items': msiOnly((ctx) =>
      // Cached like the other lists: a full walk of 20,000 source items otherwise re-sorts them all per page.
      page([...state.sourceItems.values()], sc(ctx), (r, f) => (r as unknown as Record<string, FieldValue>)[f] ?? null, (r) => state.product(r.sku)?.id ?? 0, (r) => ({ ...r }), { name: 'source-items', store: 'all' }),
    ),
    'POST /V1/inventory/source-items': msiOnly((ctx) => {
      const items = ctx.body.sourceItems;
      if (!Array.isArray(items)) throw required('sourceItems');
      const checked = (items as Record<string, unknown>[]).map((x) => {
        if (typeof x.sku !== 'string' || !x.sku) throw new MageError(400, 'Validation Failed', []);
        if (!state.sources.some((s) => s.source_code === x.source_code)) throw new MageError(400, 'Validation Failed', []);
        if (!state.product(x.sku)) throw noProduct();
        return { sku: x.sku, source: String(x.source_code), qty: num(x.quantity ?? 0, 'quantity'), status: x.status === undefined ? undefined : (Number(x.status) ? 1 : 0) as 0 | 1 };
      });
      for (const x of checked) state.setSourceQty(x.sku, x.source, x.qty, true, x.status);
      return [];
    }),
    'GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}': msiOnly((ctx) => {
      const p = product(ctx.params.sku!);
      if (p.type_id !== 'simple') throw new MageError(400, 'Can\'t check requested quantity for products without Source Items support.');
      return state.salable(p.sku, Number(ctx.params.stockId));
    }),
    'GET /V1/inventory/export-stock-salable-qty/{salesChannelType}/{salesChannelCode}': msiOnly((ctx) => {
      const type = ctx.params.salesChannelType!;
      const code = ctx.params.salesChannelCode!;
      const stock = type === 'website' ? state.stocks.find((s) => s.websites.includes(code)) : undefined;
      if (!stock) throw new MageError(404, 'No linked stock found');
      // The stock's simple products are listed once per state version, not once per page of SKUs.
      const key = `${state.products.length}:${state.version}`;
      if (exportRows?.key !== key) {
        const rows = state.products.filter((p) => p.type_id === 'simple' && state.sourceItemsOf(p.sku).length > 0);
        exportRows = { key, rows, at: new Map(rows.map((p, i) => [p.sku.toLowerCase(), i])) };
      }
      const criteria = sc(ctx);
      // A query for a list of SKUs (how stock is read page by page) starts from those rows, as MySQL's index
      // would, instead of filtering every row (numeric values, which match as numbers, take the full scan); the
      // filter below still decides, so the answer is the same.
      const only = criteria.filter_groups.length === 1 && criteria.filter_groups[0]!.filters.length === 1 ? criteria.filter_groups[0]!.filters[0]! : undefined;
      const narrowed =
        only && only.field === 'sku' && only.condition_type === 'in' && only.value.split(',').every((v) => !/^-?\d+(\.\d+)?$/.test(v.trim()))
          ? [...new Set(only.value.split(',').map((v) => exportRows!.at.get(v.trim().toLowerCase())).filter((i): i is number => i !== undefined))].sort((a, b) => a - b).map((i) => exportRows!.rows[i]!)
          : exportRows.rows;
      return page(narrowed, criteria, productField(null), (p) => p.id, (p) => {
        const qty = state.salable(p.sku, stock.stock_id);
        return { sku: p.sku, qty, is_salable: qty > 0 };
      });
    }),
    'GET /V1/inventory/sources': msiOnly((ctx) => page(state.sources, sc(ctx, false), (s, f) => (s as unknown as Record<string, FieldValue>)[f] ?? null, (s) => state.sources.indexOf(s), (s) => ({ ...s, use_default_carrier_config: true, carrier_links: [] }))),
    'GET /V1/inventory/stocks': msiOnly((ctx) =>
      page(state.stocks, sc(ctx, false), (s, f) => (f === 'name' || f === 'stock_id' ? s[f] : null), (s) => s.stock_id, (s) => ({
        stock_id: s.stock_id,
        name: s.name,
        extension_attributes: { sales_channels: s.websites.map((code) => ({ type: 'website', code })) },
      })),
    ),
    'GET /V1/inventory/stock-source-links': msiOnly((ctx) => {
      const links = state.stocks.flatMap((s) => s.source_codes.map((code, i) => ({ stock_id: s.stock_id, source_code: code, priority: i + 1 })));
      return page(links, sc(ctx, false), (l, f) => (l as unknown as Record<string, FieldValue>)[f] ?? null, (l) => l.stock_id * 1000 + l.priority, (l) => l);
    }),
    'GET /V1/orders': (ctx) => page(state.orders, sc(ctx), orderField, (o) => o.entity_id, (o) => orderJson(state, o), { name: 'orders', store: '' }),
    'GET /V1/orders/{id}': (ctx) => orderJson(state, orderOf(ctx.params.id!)),
    'POST /V1/orders': saveOrder,
    'PUT /V1/orders/create': saveOrder,
    'GET /V1/orders/items': (ctx) => {
      const rows = state.orders.flatMap((o) => o.items.map((it) => ({ o, it })));
      return page(rows, sc(ctx), (r, f) => (f === 'order_id' ? r.o.entity_id : (r.it as unknown as Record<string, FieldValue>)[f] ?? null), (r) => r.it.item_id, (r) => orderItemJson(r.o, r.it));
    },
    'POST /V1/orders/{id}/comments': (ctx) => {
      const o = orderOf(ctx.params.id!);
      const h = ctx.body.statusHistory as Record<string, unknown> | undefined;
      if (!h) throw required('statusHistory');
      if (typeof h.comment !== 'string') throw required('comment');
      state.addComment(o, {
        comment: h.comment,
        ...(typeof h.status === 'string' && h.status ? { status: h.status } : {}),
        is_customer_notified: Number(h.is_customer_notified ?? 0),
        is_visible_on_front: Number(h.is_visible_on_front ?? 0),
      }, ctx.now);
      return true;
    },
    'GET /V1/orders/{id}/comments': (ctx) => {
      const o = orderOf(ctx.params.id!);
      const items = [...o.comments].reverse().map((h) => ({ ...h, created_at: magentoDate(h.created_at) }));
      return { items, search_criteria: { filter_groups: [] }, total_count: items.length };
    },
    'POST /V1/orders/{id}/cancel': (ctx) => state.cancel(orderOf(ctx.params.id!), ctx.now),
    'POST /V1/orders/{id}/hold': (ctx) => {
      const o = orderOf(ctx.params.id!);
      if (o.state !== 'new' && o.state !== 'processing') throw new MageError(400, 'A hold action is not available.');
      o.state = o.status = 'holded';
      o.updated_at = ctx.now;
      return true;
    },
    'GET /V1/orders/{id}/statuses': (ctx) => orderOf(ctx.params.id!).status,
    'POST /V1/order/{orderId}/ship': ship,
    'POST /V1/order/{orderId}/invoice': invoice,
    'GET /V1/shipments': (ctx) => page(state.shipments, sc(ctx), genericField((s) => shipmentJson(s, state.ordersById.get(s.order_id))), (s) => s.entity_id, (s) => shipmentJson(s, state.ordersById.get(s.order_id)), { name: 'shipments', store: '' }),
    'GET /V1/shipment/{id}': (ctx) => {
      const s = state.shipments.find((x) => String(x.entity_id) === ctx.params.id);
      if (!s) throw new MageError(404, "The entity that was requested doesn't exist. Verify the entity and try again.");
      return shipmentJson(s, state.ordersById.get(s.order_id));
    },
    'POST /V1/shipment/track': (ctx) => {
      const e = ctx.body.entity as Record<string, unknown> | undefined;
      if (!e) throw required('entity');
      const s = state.shipments.find((x) => x.entity_id === Number(e.parent_id));
      if (!s) throw new MageError(400, 'Could not save the shipment tracking.');
      for (const k of ['track_number', 'title', 'carrier_code']) if (typeof e[k] !== 'string') throw required(k);
      const t = { entity_id: s.tracks.length + 1 + s.entity_id * 100, parent_id: s.entity_id, order_id: s.order_id, track_number: e.track_number as string, title: e.title as string, carrier_code: e.carrier_code as string, created_at: ctx.now };
      s.tracks.push(t);
      s.updated_at = ctx.now;
      return { order_id: t.order_id, created_at: magentoDate(t.created_at), entity_id: t.entity_id, parent_id: t.parent_id, updated_at: magentoDate(t.created_at), weight: 0, qty: 0, description: '', track_number: t.track_number, title: t.title, carrier_code: t.carrier_code };
    },
    'GET /V1/invoices': (ctx) => page(state.invoices, sc(ctx), genericField((i) => invoiceJson(i, state.ordersById.get(i.order_id))), (i) => i.entity_id, (i) => invoiceJson(i, state.ordersById.get(i.order_id)), { name: 'invoices', store: '' }),
    'GET /V1/invoices/{id}': (ctx) => {
      const i = state.invoices.find((x) => String(x.entity_id) === ctx.params.id);
      if (!i) throw new MageError(404, "The entity that was requested doesn't exist. Verify the entity and try again.");
      return invoiceJson(i, state.ordersById.get(i.order_id));
    },
    'GET /V1/customers/{customerId}': (ctx) => {
      const c = state.customers.find((x) => String(x.id) === ctx.params.customerId);
      if (!c) throw noEntity('customerId', ctx.params.customerId!);
      return customerJson(c, state);
    },
    'POST /V1/products/base-prices': (ctx) => {
      const prices = ctx.body.prices;
      if (!Array.isArray(prices)) throw required('prices');
      const failures: { message: string; parameters: string[] }[] = [];
      const ok: { p: Product; price: number; storeId: number }[] = [];
      for (const raw of prices as { sku?: unknown; price?: unknown; store_id?: unknown }[]) {
        const sku = String(raw.sku ?? '');
        const p = state.product(sku);
        const price = typeof raw.price === 'number' ? raw.price : Number(raw.price);
        const storeId = Number(raw.store_id ?? 0);
        if (!p) failures.push({ message: 'The product that was requested doesn\'t exist. Verify the product and try again. Row ID: SKU = %SKU, Store ID: %storeId, Price: %price.', parameters: [sku, String(storeId), String(raw.price)] });
        else if (!Number.isFinite(price) || price < 0) failures.push({ message: 'Invalid attribute %fieldName = %fieldValue. Row ID: SKU = %SKU, Store ID: %storeId.', parameters: ['Price', String(raw.price), sku, String(storeId)] });
        else if (storeId !== 0 && !state.storeById(storeId)) failures.push({ message: 'Requested store is not found. Row ID: SKU = %SKU, Store ID: %storeId.', parameters: [sku, String(storeId)] });
        else ok.push({ p, price, storeId });
      }
      // valid rows are saved even when others fail (Magento's price storage answers the failures only);
      // in website price scope a row for a store view sets the price of its website
      for (const { p, price, storeId } of ok) {
        const website = storeId !== 0 && state.priceScope === 'website' ? state.websites.find((w) => w.id === state.storeById(storeId)!.website_id) : undefined;
        if (website) state.setWebsitePrice(p.sku, website.code, price, ctx.now);
        else {
          state.version++;
          p.price = round2(price);
          p.updated_at = ctx.now;
        }
      }
      return failures;
    },
    'POST /V1/products/base-prices-information': (ctx) => {
      const skus = ctx.body.skus;
      if (!Array.isArray(skus)) throw required('skus');
      const missing = (skus as string[]).filter((sku) => !state.product(String(sku)));
      if (missing.length) throw new MageError(404, 'The following SKUs are not found: %SKU', { SKU: missing.join(', ') });
      // the default price, then (website price scope) one row per store view of a website with its own price
      return (skus as string[]).flatMap((sku) => {
        const p = state.product(String(sku))!;
        const scoped = state.stores.filter((st) => p.website_prices?.[state.websites.find((w) => w.id === st.website_id)?.code ?? ''] !== undefined);
        return [{ price: p.price, store_id: 0, sku: p.sku }, ...scoped.map((st) => ({ price: state.priceIn(p, st), store_id: st.id, sku: p.sku }))];
      });
    },
    'GET /V1/customers/search': (ctx) => page(state.customers, sc(ctx), genericField((c) => customerJson(c, state)), (c) => c.id, (c) => customerJson(c, state), { name: 'customers', store: '' }),
    'GET /V1/store/storeViews': () => storeViews(),
    'GET /V1/store/websites': () => [{ id: 0, code: 'admin', name: 'Admin', default_group_id: 0 }, ...state.websites.map((w) => ({ id: w.id, code: w.code, name: w.name, default_group_id: w.default_group_id }))],
    'GET /V1/store/storeGroups': () => [
      { id: 0, website_id: 0, root_category_id: 0, default_store_id: 0, name: 'Default', code: 'default' },
      ...state.websites.map((w) => ({ id: w.default_group_id, website_id: w.id, root_category_id: 2, default_store_id: state.stores.find((s) => s.website_id === w.id)!.id, name: w.id === 1 ? 'Main Website Store' : `${w.name} Store`, code: w.id === 1 ? 'main_website_store' : `${w.code}_store` })),
    ],
    'GET /V1/store/storeConfigs': (ctx) => {
      const codes = ctx.query.getAll('storeCodes[]').concat(ctx.query.getAll('storeCodes'));
      return state.stores
        .filter((s) => codes.length === 0 || codes.includes(s.code))
        .map((s) => {
          const base = `http://magento.test/`;
          return {
            id: s.id,
            code: s.code,
            website_id: s.website_id,
            locale: s.locale,
            base_currency_code: state.websites.find((w) => w.id === s.website_id)!.currency,
            default_display_currency_code: s.currency,
            timezone: s.locale.startsWith('de') ? 'Europe/Berlin' : 'America/Chicago',
            weight_unit: s.locale.startsWith('de') ? 'kgs' : 'lbs',
            base_url: base,
            base_link_url: base,
            base_static_url: `${base}static/`,
            base_media_url: `${base}media/`,
            secure_base_url: base.replace('http:', 'https:'),
            secure_base_link_url: base.replace('http:', 'https:'),
            secure_base_static_url: `${base.replace('http:', 'https:')}static/`,
            secure_base_media_url: `${base.replace('http:', 'https:')}media/`,
          };
        });
    },
  };

  Object.assign(routes, cartRoutes);

  const createProduct = (ctx: Ctx, body: Record<string, unknown>) => {
    if (typeof body.sku !== 'string' || !body.sku) throw required('sku');
    const now = ctx.now;
    const p: Product = {
      id: state.nextProductId(),
      sku: body.sku,
      type_id: body.type_id === 'configurable' ? 'configurable' : 'simple',
      attribute_set_id: Number(body.attribute_set_id ?? 4),
      name: typeof body.name === 'string' ? body.name : body.sku,
      price: body.price !== undefined ? num(body.price, 'price') : 0,
      status: Number(body.status ?? 1) === 2 ? 2 : 1,
      visibility: [1, 2, 3, 4].includes(Number(body.visibility)) ? (Number(body.visibility) as 1 | 2 | 3 | 4) : 4,
      weight: body.weight !== undefined ? num(body.weight, 'weight') : null,
      created_at: now,
      updated_at: now,
      attrs: { url_key: body.sku.toLowerCase().replace(/[^a-z0-9]+/g, '-'), tax_class_id: '2' },
      storeValues: {},
      category_ids: [],
      media: [],
      children: [],
      parent_id: null,
      website_ids: [1],
    };
    state.addProduct(p);
    applyProduct(ctx, p, body);
    if (ctx.storeCode !== 'all' && ctx.store) {
      // a product created through a store view's URL gets its values saved on the global scope too
      const sv = p.storeValues[ctx.store.code];
      if (sv) Object.assign(p.attrs, sv), delete p.storeValues[ctx.store.code];
    }
    return productJson(state, p, ctx.store);
  };

  /**
   * Saving through /rest/<store>/ writes store-view values (name and custom attributes) for that view, the
   * well-known Magento trap; /rest/all/ writes the global (default) values. Price is global scope.
   */
  const applyProduct = (ctx: Ctx, p: Product, body: Record<string, unknown>) => {
    const scoped = ctx.storeCode !== 'all' && ctx.store !== null;
    const setText = (code: string, value: string) => {
      if (scoped) (p.storeValues[ctx.store!.code] ??= {})[code] = value;
      else if (code === 'name') p.name = value;
      else p.attrs[code] = value;
    };
    if (typeof body.name === 'string') setText('name', body.name);
    if (body.price !== undefined && body.price !== null) p.price = round2(num(body.price, 'price'));
    if (body.status !== undefined) p.status = Number(body.status) === 2 ? 2 : 1;
    if (body.visibility !== undefined) p.visibility = Number(body.visibility) as 1 | 2 | 3 | 4;
    if (body.weight !== undefined && body.weight !== null) p.weight = num(body.weight, 'weight');
    if (Array.isArray(body.custom_attributes)) {
      for (const a of body.custom_attributes as { attribute_code?: string; value?: unknown }[]) {
        if (!a.attribute_code) throw required('attribute_code');
        if (a.attribute_code === 'category_ids' && Array.isArray(a.value)) p.category_ids = (a.value as unknown[]).map(Number);
        else setText(a.attribute_code, String(a.value ?? ''));
      }
    }
    const ext = body.extension_attributes as { stock_item?: { qty?: unknown; is_in_stock?: unknown }; category_links?: { category_id: string }[]; website_ids?: number[] } | undefined;
    if (ext?.stock_item && ext.stock_item.qty !== undefined) {
      state.setSourceQty(p.sku, 'default', num(ext.stock_item.qty, 'qty'), true, ext.stock_item.is_in_stock === undefined ? undefined : ext.stock_item.is_in_stock ? 1 : 0);
    }
    if (ext?.category_links) p.category_ids = ext.category_links.map((l) => Number(l.category_id));
    if (ext?.website_ids) p.website_ids = ext.website_ids;
    p.updated_at = ctx.now;
  };

  // ---------- the app ----------
  const app = new Hono<{ Bindings: HttpBindings }>();
  const validated = new Map<string, number>();
  const send = (c: Context, rec: RequestLog, status: number, body: unknown, template: string | null, malformed = false) => {
    rec.status = status;
    const mode = options.validateResponses ?? 'all';
    let check = mode === 'all';
    if (mode === 'sample' && template) {
      const k = `${rec.method} ${template} ${status}`;
      const n = validated.get(k) ?? 0;
      validated.set(k, n + 1);
      check = n < 5;
    }
    if (template && check) {
      const problems = status === 200 ? schema.validateResponse(rec.method, template, body) : schema.validateError(body);
      for (const p of problems) violations.push(`${rec.method} ${template} ${status}: ${p}`);
    }
    let text = JSON.stringify(status === 200 ? applyFields(body, new URL(c.req.url).searchParams.get('fields')) : body);
    if (malformed) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    return c.newResponse(text, status as 200, { 'content-type': 'application/json; charset=utf-8' });
  };
  /** Magento's `?fields=items[sku,name],total_count` output filter (webapi FieldsFilter), applied after validation. */
  const applyFields = (body: unknown, expr: string | null): unknown => {
    if (!expr) return body;
    const tree = parseFields(expr);
    const pick = (v: unknown, t: FieldTree): unknown => {
      if (Array.isArray(v)) return v.map((x) => pick(x, t));
      if (!v || typeof v !== 'object') return v;
      const out: Record<string, unknown> = {};
      for (const [k, sub] of Object.entries(t)) {
        const val = (v as Record<string, unknown>)[k];
        if (val === undefined) continue;
        out[k] = sub === true ? val : pick(val, sub);
      }
      return out;
    };
    return pick(body, tree);
  };
  const envelope = (e: MageError) => (e.parameters === undefined ? { message: e.message } : { message: e.message, parameters: e.parameters });

  app.all('*', async (c) => {
    const url = new URL(c.req.url);
    const rec: RequestLog = { method: c.req.method, path: url.pathname + url.search, template: null, status: 0 };
    requests.push(rec);
    const m = /^\/rest(?:\/([^/]+))?(\/V1\/.*)$/.exec(url.pathname);
    const rawPath = m?.[2] ?? url.pathname;
    const before = faults.pick(`${c.req.method} ${rawPath}`, ['drop', 'timeout', 'error500', 'error503']);
    if (before === 'drop') {
      c.env?.incoming?.socket?.destroy();
      return new Response(null, { status: 204 });
    }
    if (before === 'timeout') {
      await new Promise<void>((resolve) => hanging.add(resolve));
      c.env?.incoming?.socket?.destroy();
      return new Response(null, { status: 204 });
    }
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (before === 'error503') {
      rec.status = 503;
      return c.newResponse('<html><body><h1>Service Temporarily Unavailable</h1></body></html>', 503, { 'content-type': 'text/html' });
    }
    if (!m) return send(c, rec, 404, { message: 'Request does not match any route.', parameters: [] }, null);
    const storeCode = m[1] && m[1] !== 'V1' ? m[1] : 'default';
    const store = storeCode === 'all' ? null : state.store(storeCode) ?? null;
    const matched = schema.match(c.req.method, rawPath);
    rec.template = matched?.template ?? null;
    if (!matched) {
      violations.push(`${c.req.method} ${rawPath}: no such operation in admin-schema-2.4.8.yaml`);
      return send(c, rec, 404, { message: 'Request does not match any route.', parameters: [] }, null);
    }
    if (storeCode !== 'all' && !store) {
      return send(c, rec, 404, { message: "The store that was requested wasn't found. Verify the store and try again." }, matched.template);
    }
    if (before === 'error500') {
      return send(c, rec, 500, { message: `Internal Error. Details are available in Magento log file. Report ID: webapi-${randomBytes(6).toString('hex')}` }, matched.template);
    }
    const key = `${c.req.method} ${matched.template}`;
    try {
      let body: Record<string, unknown> = {};
      if (c.req.method !== 'GET' && c.req.method !== 'DELETE') {
        const text = await c.req.text();
        if (text.trim()) {
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            throw new MageError(400, 'Decoding error: \nSyntax error');
          }
          for (const p of schema.validateRequest(c.req.method, matched.template, body)) violations.push(`request ${key}: ${p}`);
        }
      }
      if (key === 'POST /V1/integration/admin/token') {
        if (typeof body.username !== 'string') throw required('username');
        if (typeof body.password !== 'string') throw required('password');
        if (options.twoFactorAuth) throw new MageError(401, 'Please use the 2fa provider-specific endpoints to obtain a token.');
        if (body.username !== credentials.admin.username || body.password !== credentials.admin.password) {
          throw new MageError(401, 'The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.');
        }
        const token = randomBytes(16).toString('hex');
        adminTokens.set(token, clock() + ADMIN_TOKEN_TTL_MS);
        return send(c, rec, 200, token, matched.template);
      }
      const authError = authenticate(c, url);
      if (authError) {
        authFailures.push({ path: rawPath, reason: authError });
        throw new MageError(401, UNAUTHORIZED, { resources: resourceFor(matched.template) });
      }
      if (c.req.method !== 'GET') state.version++;
      const handler = routes[key];
      if (!handler) throw new MageError(404, 'Request does not match any route.', []);
      const result = await handler({ store, storeCode, params: matched.params, query: url.searchParams, body, now: clock() });
      const after = faults.pick(`${c.req.method} ${rawPath}`, ['malformed', 'lose_answer']);
      if (after === 'lose_answer') {
        // the store acted; the answer never arrives
        rec.status = 0;
        c.env?.incoming?.socket?.destroy();
        return new Response(null, { status: 204 });
      }
      const malformed = after === 'malformed';
      return send(c, rec, 200, result, matched.template, malformed);
    } catch (err) {
      if (err instanceof MageError) return send(c, rec, err.status, envelope(err), matched.template);
      if (err instanceof SearchCriteriaError) return send(c, rec, 400, { message: err.message, parameters: err.parameters }, matched.template);
      // production mode masks everything else
      return send(c, rec, 500, { message: `Internal Error. Details are available in Magento log file. Report ID: webapi-${randomBytes(6).toString('hex')}` }, matched.template);
    }
  });

  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    credentials,
    state,
    faults,
    requests,
    requestCount: () => requests.length,
    violations,
    authFailures,
    schema,
    operations: ['POST /V1/integration/admin/token', ...Object.keys(routes)],
    config,
    stop: async () => {
      for (const h of [...hanging]) h();
      hanging.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
