// The SP-API simulator's HTTP side: Login with Amazon token endpoint, the operations of the models in
// models.ts (parameters parsed and checked as the models declare them, `x-amz-access-token` auth,
// per-operation token buckets at the documented usage plans times timeScale, `x-amzn-RateLimit-Limit`
// and `x-amzn-RequestId` headers, `{errors:[...]}` bodies), presigned-like document URLs for feed
// documents and product type schemas, a sandbox mode that answers the models' static sandbox cases,
// runtime faults, and a check of every response against the models (sim.violations).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ajvErrors, spModels, type OperationSpec, type SandboxCase, type SpModels, type SwaggerParameter } from './models.ts';
import {
  DISPLAY_NAMES,
  META_SCHEMA_ID,
  PRODUCT_TYPES,
  PTD_VERSION,
  ptdVersion,
  isProductType,
  propertyGroups,
  ptdDocument,
  type Requirements,
} from './ptd.ts';
import { AmazonState, MARKETPLACES, type FulfillmentStatus, type SeedOptions, type SimFeed, type SimListing, type SimOrder } from './state.ts';

export interface AmazonSimOptions {
  seed?: SeedOptions;
  sellerId?: string;
  marketplaceIds?: string[];
  /** Per-operation token buckets at the documented rates (default true). */
  rateLimits?: boolean;
  /** 60: rates x60, token lifetimes, pagination token lifetimes and feed processing /60 (default 1). */
  timeScale?: number;
  /** Time a feed spends IN_QUEUE + IN_PROGRESS before DONE/FATAL (default 2000 ms, divided by timeScale). */
  feedProcessingMs?: number;
  clock?: () => number;
  /** Every SP-API path answers the models' static sandbox cases, as Amazon's sandbox endpoints do. */
  sandbox?: boolean;
}

export interface SimRequestRecord {
  operation: string;
  method: string;
  path: string;
  status: number;
  at: number;
}

export interface AmazonSimFaults {
  storm429(n: number, operation?: string): void;
  failNext(status: 500 | 503, n: number, operation?: string): void;
  /** The next n calls hang unanswered (no effect) until the client gives up; the socket is closed after 60 s. */
  timeoutNext(n: number, operation?: string): void;
  /** The next n calls are handled (writes take effect) and answered 200 with a truncated body. */
  malformedNext(n: number, operation?: string): void;
  /** The next n calls are handled (writes take effect), then the connection is dropped without an answer. */
  failAfterEffectNext(n: number, operation?: string): void;
  /** The next n calls are handled (writes take effect), then answered only after `ms`. */
  slowAfterEffectNext(n: number, ms: number, operation?: string): void;
  expireTokens(): void;
  expireClientSecret(on: boolean): void;
  revokeRefreshToken(): void;
  clear(): void;
}

export interface AmazonSim {
  url: string;
  lwaUrl: string;
  /** Base URL whose SP-API paths answer the static sandbox cases (like sandbox.sellingpartnerapi-na.amazon.com). */
  sandboxUrl: string;
  credentials: { client_id: string; client_secret: string; refresh_token: string };
  /** An authorization code the LWA endpoint exchanges for the refresh token (authorization_code grant). */
  authorizationCode: string;
  sellerId: string;
  marketplaceIds: string[];
  state: AmazonState;
  faults: AmazonSimFaults;
  requests: SimRequestRecord[];
  requestCount(): number;
  violations: string[];
  /** Access tokens issued so far (refresh, client_credentials and authorization_code grants). */
  tokensIssued(): number;
  /** The operation's usage plan as the simulator enforces it (the model's rate x timeScale, and burst). */
  usagePlan(operationId: string): { rate: number; burst: number } | undefined;
  /** Refills every bucket (e.g. between phases of a test). */
  resetRateLimits(): void;
  /** Processes feeds whose time has come (also runs on every request and on timers). */
  advanceFeeds(): void;
  stop(): Promise<void>;
}

class SpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Ctx {
  op: OperationSpec;
  path: Record<string, string>;
  q: Record<string, unknown>;
  body: unknown;
  token: TokenInfo;
}

interface TokenInfo {
  kind: 'seller' | 'grantless';
  scope?: string;
  expiresAt: number;
  generation: number;
}

type FaultKind = 'throttle' | 'error500' | 'error503' | 'timeout' | 'malformed' | 'drop_after_effect' | 'slow_after_effect';
interface FaultRule {
  kind: FaultKind;
  left: number;
  operation?: string;
  /** slow_after_effect: how long the answer waits. */
  ms?: number;
}

const INCLUDED_ORDER = ['BUYER', 'RECIPIENT', 'PROCEEDS', 'EXPENSE', 'PROMOTION', 'CANCELLATION', 'FULFILLMENT', 'PACKAGES', 'TAX', 'PAYMENT', 'FULFILLMENT_ORDERS'];

function b64(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}
function unb64<T>(s: string): T | null {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as T;
  } catch {
    return null;
  }
}
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
function money(amount: number | string, currencyCode: string): { amount: string; currencyCode: string } {
  return { amount: typeof amount === 'number' ? amount.toFixed(2) : amount, currencyCode };
}
function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function startAmazonSim(options: AmazonSimOptions = {}): Promise<AmazonSim> {
  const models = spModels();
  const clock = options.clock ?? Date.now;
  const timeScale = options.timeScale ?? 1;
  const feedMs = (options.feedProcessingMs ?? 2000) / timeScale;
  const sellerId = options.sellerId ?? 'A2SIMSELLER01';
  const marketplaceIds = options.marketplaceIds ?? ['ATVPDKIKX0DER'];
  const state = new AmazonState(sellerId, marketplaceIds, clock);
  const violations: string[] = [];
  state.onEmit = (n) => {
    if (!models.orderChangeNotification(n)) violations.push(`ORDER_CHANGE notification: ${ajvErrors(models.orderChangeNotification)}`);
  };
  if (options.seed) state.seed(options.seed);

  const credentials = {
    client_id: 'amzn1.application-oa2-client.sim' + randomBytes(8).toString('hex'),
    client_secret: 'amzn1.oa2-cs.v1.' + randomBytes(24).toString('hex'),
    refresh_token: 'Atzr|' + randomBytes(48).toString('base64url'),
  };
  const authorizationCode = 'ANsim' + randomBytes(10).toString('hex');
  const lwa = { secretExpired: false, refreshRevoked: false, generation: 0, issued: 0 };
  const tokens = new Map<string, TokenInfo>();
  const requests: SimRequestRecord[] = [];
  let rules: FaultRule[] = [];
  const buckets = new Map<string, { tokens: number; last: number }>();
  const rateLimits = options.rateLimits ?? true;
  const hung = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  let base = '';

  // ------------------------------------------------------------ helpers

  function takeRule(kinds: FaultKind[], operation: string): FaultRule | null {
    for (const r of rules) {
      if (r.left <= 0 || !kinds.includes(r.kind)) continue;
      if (r.operation && r.operation !== operation) continue;
      r.left--;
      rules = rules.filter((x) => x.left > 0);
      return r;
    }
    return null;
  }

  function takeFault(kinds: FaultKind[], operation: string): FaultKind | null {
    return takeRule(kinds, operation)?.kind ?? null;
  }

  function rateOf(op: OperationSpec): number | undefined {
    return op.rate === undefined ? undefined : op.rate * timeScale;
  }

  function take(op: OperationSpec): boolean {
    if (!rateLimits || op.rate === undefined || op.burst === undefined) return true;
    const rate = op.rate * timeScale;
    const now = clock();
    let b = buckets.get(op.operationId);
    if (!b) {
      b = { tokens: op.burst, last: now };
      buckets.set(op.operationId, b);
    }
    b.tokens = Math.min(op.burst, b.tokens + ((now - b.last) / 1000) * rate);
    b.last = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    return false;
  }

  function errors(code: string, message: string, details?: string): { errors: { code: string; message: string; details?: string }[] } {
    return { errors: [{ code, message, ...(details !== undefined ? { details } : {}) }] };
  }

  function presign(path: string, ttlSec: number): string {
    const expires = clock() + (ttlSec * 1000) / timeScale;
    const sig = createHash('sha256').update(`${path}:${expires}`).digest('hex');
    return `${base}${path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${encodeURIComponent(iso(clock()))}&X-Amz-Expires=${ttlSec}&sim-expires=${expires}&X-Amz-Signature=${sig}`;
  }

  function presignOk(path: string, query: URLSearchParams): boolean {
    const expires = Number(query.get('sim-expires'));
    const sig = createHash('sha256').update(`${path}:${expires}`).digest('hex');
    return sig === query.get('X-Amz-Signature') && clock() <= expires;
  }

  // ------------------------------------------------------------ parameters

  function parseParams(op: OperationSpec, pathParams: Record<string, string>, query: URLSearchParams): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const p of op.parameters) {
      if (p.in !== 'query' && p.in !== 'path') continue;
      let raw: string[] = p.in === 'path' ? (pathParams[p.name] !== undefined ? [pathParams[p.name] as string] : []) : query.getAll(p.name);
      if (raw.length === 0) {
        if (p.required) throw new SpError(400, 'InvalidInput', `Missing required parameter: ${p.name}`, `The parameter '${p.name}' is required.`);
        if (p.default !== undefined) out[p.name] = p.default;
        continue;
      }
      out[p.name] = convert(p, raw);
    }
    return out;
  }

  function convert(p: SwaggerParameter, raw: string[]): unknown {
    const bad = (why: string) => new SpError(400, 'InvalidInput', `Invalid value for parameter ${p.name}`, why);
    if (p.type === 'array') {
      const values = raw.flatMap((r) => r.split(',')).filter((v) => v !== '');
      if (p.maxItems !== undefined && values.length > p.maxItems) throw bad(`At most ${p.maxItems} values are allowed.`);
      const allowed = p.items?.enum;
      for (const v of values) if (allowed && !allowed.includes(v)) throw bad(`'${v}' is not one of ${allowed.join(', ')}.`);
      return values;
    }
    const v = raw[0] as string;
    if (p.type === 'integer') {
      if (!/^-?\d+$/.test(v)) throw bad(`'${v}' is not an integer.`);
      const n = Number(v);
      if (p.minimum !== undefined && n < p.minimum) throw bad(`Must be at least ${p.minimum}.`);
      if (p.maximum !== undefined && n > p.maximum) throw bad(`Must be at most ${p.maximum}.`);
      return n;
    }
    if (p.type === 'boolean') {
      if (v !== 'true' && v !== 'false') throw bad(`'${v}' is not a boolean.`);
      return v === 'true';
    }
    if (p.enum && !p.enum.includes(v)) throw bad(`'${v}' is not one of ${p.enum.join(', ')}.`);
    return v;
  }

  function date(q: Record<string, unknown>, name: string): number | undefined {
    const v = q[name];
    if (v === undefined) return undefined;
    const t = Date.parse(String(v));
    if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(String(v))) {
      throw new SpError(400, 'InvalidInput', `Invalid value for parameter ${name}`, `'${String(v)}' is not an ISO 8601 date-time.`);
    }
    return t;
  }

  function checkSeller(id: unknown): void {
    if (id !== sellerId) throw new SpError(403, 'Unauthorized', 'Access to requested resource is denied.', `The seller ${String(id)} has not authorized this application.`);
  }

  function checkMarketplaces(ids: unknown): string[] {
    const list = (ids as string[] | undefined) ?? [];
    for (const id of list) {
      if (!marketplaceIds.includes(id)) throw new SpError(400, 'InvalidInput', `Invalid marketplaceId: ${id}`, `The seller does not participate in marketplace '${id}'.`);
    }
    return list;
  }

  // ------------------------------------------------------------ orders

  function renderOrder(o: SimOrder, included: Set<string>): Record<string, unknown> {
    const pending = o.status === 'PENDING';
    const out: Record<string, unknown> = {
      orderId: o.orderId,
      createdTime: iso(o.createdTime),
      lastUpdatedTime: iso(o.lastUpdatedTime),
      programs: o.programs,
      salesChannel: { channelName: 'AMAZON', marketplaceId: o.marketplaceId, marketplaceName: MARKETPLACES[o.marketplaceId]?.name ?? 'Amazon' },
    };
    if (included.has('BUYER') && o.buyer && !pending) out.buyer = { ...o.buyer };
    if (included.has('RECIPIENT') && o.address && !pending) out.recipient = { deliveryAddress: { ...o.address } };
    if (included.has('PROCEEDS') && !pending && o.status !== 'CANCELLED') {
      const items = o.items.reduce((a, it) => a + Number(it.unitPrice) * it.quantityOrdered, 0);
      const tax = o.items.reduce((a, it) => a + Number(it.itemTax) * it.quantityOrdered, 0);
      out.proceeds = {
        grandTotal: money(items + tax + Number(o.shippingPrice), o.currency),
        breakdowns: [
          { type: 'ITEM', subtotal: money(items, o.currency) },
          { type: 'SHIPPING', subtotal: money(o.shippingPrice, o.currency) },
          { type: 'TAX', subtotal: money(tax, o.currency) },
        ],
      };
    }
    if (included.has('PAYMENT') && !pending && o.status !== 'CANCELLED') {
      const total = o.items.reduce((a, it) => a + (Number(it.unitPrice) + Number(it.itemTax)) * it.quantityOrdered, 0) + Number(o.shippingPrice);
      out.payment = { paymentExecutions: [{ paymentMethod: 'CreditCard', paymentAmount: money(total, o.currency) }] };
    }
    if (included.has('FULFILLMENT')) {
      out.fulfillment = {
        fulfillmentStatus: o.status,
        fulfilledBy: o.fulfilledBy,
        fulfillmentServiceLevel: o.programs.includes('PRIME') ? 'EXPEDITED' : 'STANDARD',
        shipByWindow: { earliestDateTime: iso(o.createdTime), latestDateTime: iso(o.createdTime + 2 * 86_400_000) },
        deliverByWindow: { earliestDateTime: iso(o.createdTime + 3 * 86_400_000), latestDateTime: iso(o.createdTime + 7 * 86_400_000) },
      };
    }
    out.orderItems = o.items.map((it) => {
      const item: Record<string, unknown> = {
        orderItemId: it.orderItemId,
        quantityOrdered: it.quantityOrdered,
        product: {
          asin: it.asin,
          title: it.title,
          sellerSku: it.sku,
          condition: { conditionType: 'NEW', conditionSubtype: 'NEW' },
          ...(pending ? {} : { price: { unitPrice: money(it.unitPrice, o.currency) } }),
        },
      };
      if (included.has('PROCEEDS') && !pending && o.status !== 'CANCELLED') {
        const total = Number(it.unitPrice) * it.quantityOrdered;
        item.proceeds = {
          proceedsTotal: money(total + Number(it.itemTax) * it.quantityOrdered, o.currency),
          breakdowns: [
            { type: 'ITEM', subtotal: money(total, o.currency) },
            { type: 'TAX', subtotal: money(Number(it.itemTax) * it.quantityOrdered, o.currency) },
          ],
        };
      }
      if (included.has('FULFILLMENT')) item.fulfillment = { quantityFulfilled: it.quantityShipped, quantityUnfulfilled: it.quantityOrdered - it.quantityShipped };
      if (included.has('CANCELLATION') && (o.status === 'CANCELLED' || it.cancelRequest)) {
        item.cancellation = {
          ...(it.cancelRequest ? { cancellationRequest: { requester: 'BUYER', cancelReason: it.cancelRequest.reason } } : {}),
          ...(o.status === 'CANCELLED' ? { cancellationExecution: { cancelledBy: it.cancelRequest ? 'BUYER' : 'MERCHANT', cancelReason: it.cancelRequest?.reason ?? 'Cancelled' } } : {}),
        };
      }
      return item;
    });
    if (included.has('PACKAGES') && o.packages.length > 0) {
      out.packages = o.packages.map((p) => ({
        packageReferenceId: p.packageReferenceId,
        createdTime: iso(Date.parse(p.createdTime)),
        packageStatus: { status: 'SHIPPED' },
        carrier: p.carrierName ?? p.carrierCode,
        shipTime: iso(Date.parse(p.shipDate)),
        ...(p.shippingMethod ? { shippingService: p.shippingMethod } : {}),
        trackingNumber: p.trackingNumber,
        packageItems: p.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantity })),
      }));
    }
    return out;
  }

  interface OrdersCursor {
    f: string;
    t: number;
    k: [number, string];
    u: number;
  }

  function searchOrders(c: Ctx): Answer {
    const q = c.q;
    const createdAfter = date(q, 'createdAfter');
    const createdBefore = date(q, 'createdBefore');
    const updatedAfter = date(q, 'lastUpdatedAfter');
    const updatedBefore = date(q, 'lastUpdatedBefore');
    if ((createdAfter === undefined) === (updatedAfter === undefined)) {
      throw new SpError(400, 'InvalidInput', 'Exactly one of createdAfter and lastUpdatedAfter must be provided.');
    }
    if (createdAfter !== undefined && (updatedBefore !== undefined || updatedAfter !== undefined)) {
      throw new SpError(400, 'InvalidInput', 'createdAfter cannot be combined with lastUpdatedAfter or lastUpdatedBefore.');
    }
    if (updatedAfter !== undefined && createdBefore !== undefined) {
      throw new SpError(400, 'InvalidInput', 'lastUpdatedAfter cannot be combined with createdBefore.');
    }
    const now = clock();
    // Amazon's two-minute visibility lag, a duration like the others: ÷timeScale.
    const latest = now - 120_000 / timeScale;
    const upperGiven = createdAfter !== undefined ? createdBefore : updatedBefore;
    const lower = (createdAfter ?? updatedAfter) as number;
    if (upperGiven !== undefined && upperGiven > latest) {
      throw new SpError(400, 'InvalidInput', `${createdAfter !== undefined ? 'createdBefore' : 'lastUpdatedBefore'} must be at least two minutes before the time of the request.`);
    }
    if (upperGiven !== undefined && upperGiven < lower) throw new SpError(400, 'InvalidInput', 'The end of the time range is before its start.');
    const mps = checkMarketplaces(q.marketplaceIds ?? marketplaceIds);
    const statuses = q.fulfillmentStatuses as string[] | undefined;
    const fulfilledBy = q.fulfilledBy as string[] | undefined;
    const pageSize = (q.maxResultsPerPage as number | undefined) ?? 100;
    if (pageSize < 1 || pageSize > 100) throw new SpError(400, 'InvalidInput', 'maxResultsPerPage must be between 1 and 100.');
    const filters = JSON.stringify([q.createdAfter, q.createdBefore, q.lastUpdatedAfter, q.lastUpdatedBefore, q.marketplaceIds, statuses, fulfilledBy]);
    const fhash = createHash('sha1').update(filters).digest('hex').slice(0, 16);
    let after: [number, string] | null = null;
    let upper = upperGiven ?? latest;
    if (q.paginationToken !== undefined) {
      const cur = unb64<OrdersCursor>(String(q.paginationToken));
      if (!cur || typeof cur.f !== 'string') throw new SpError(400, 'InvalidInput', 'Invalid paginationToken.', 'The pagination token is malformed.');
      if (now > cur.t + (24 * 3_600_000) / timeScale) throw new SpError(400, 'InvalidInput', 'The paginationToken has expired.', 'Pagination tokens expire after 24 hours.');
      if (cur.f !== fhash) {
        throw new SpError(400, 'InvalidInput', 'Invalid paginationToken.', 'All parameters other than maxResultsPerPage and includedData must repeat the values of the request that generated the token.');
      }
      after = cur.k;
      upper = cur.u;
    }
    const byCreated = createdAfter !== undefined;
    const keyOf = (o: SimOrder): number => (byCreated ? o.createdTime : o.lastUpdatedTime);
    const matches: SimOrder[] = [];
    for (const o of state.orders.values()) {
      const k = keyOf(o);
      if (k < lower || k > upper) continue;
      if (!mps.includes(o.marketplaceId)) continue;
      if (statuses && !statuses.includes(o.status)) continue;
      if (fulfilledBy && !fulfilledBy.includes(o.fulfilledBy)) continue;
      if (after && (k < after[0] || (k === after[0] && o.orderId <= after[1]))) continue;
      matches.push(o);
    }
    // Only the page (and whether more follow) is needed: select it without sorting the whole window.
    const cmp = (a: SimOrder, b: SimOrder) => keyOf(a) - keyOf(b) || (a.orderId < b.orderId ? -1 : 1);
    const page: SimOrder[] = [];
    for (const o of matches) {
      if (page.length === pageSize && cmp(o, page[pageSize - 1] as SimOrder) > 0) continue;
      let i = page.length;
      while (i > 0 && cmp(o, page[i - 1] as SimOrder) < 0) i--;
      page.splice(i, 0, o);
      if (page.length > pageSize) page.pop();
    }
    const included = new Set((q.includedData as string[] | undefined) ?? []);
    const body: Record<string, unknown> = { orders: page.map((o) => renderOrder(o, included)) };
    if (matches.length > pageSize) {
      const last = page[page.length - 1] as SimOrder;
      body.pagination = { nextToken: b64({ f: fhash, t: q.paginationToken ? (unb64<OrdersCursor>(String(q.paginationToken)) as OrdersCursor).t : now, k: [keyOf(last), last.orderId], u: upper }) };
    }
    if (byCreated) body.createdBefore = iso(upper);
    else body.lastUpdatedBefore = iso(upper);
    return { status: 200, body };
  }

  function getOrder(c: Ctx): Answer {
    const o = state.orders.get(String(c.path.orderId));
    if (!o || !marketplaceIds.includes(o.marketplaceId)) throw new SpError(404, 'NotFound', `Order ${c.path.orderId} was not found.`);
    return { status: 200, body: { order: renderOrder(o, new Set((c.q.includedData as string[] | undefined) ?? [])) } };
  }

  function confirmShipment(c: Ctx): Answer {
    const o = state.orders.get(String(c.path.orderId));
    if (!o) throw new SpError(404, 'NotFound', `Order ${c.path.orderId} was not found.`);
    const body = c.body as {
      marketplaceId: string;
      packageDetail: {
        packageReferenceId: string;
        carrierCode: string;
        carrierName?: string;
        shippingMethod?: string;
        trackingNumber: string;
        shipDate: string;
        orderItems: { orderItemId: string; quantity: number }[];
      };
    };
    const pd = body.packageDetail;
    if (!/^\d{4}-\d{2}-\d{2}T/.test(pd.shipDate) || Number.isNaN(Date.parse(pd.shipDate))) {
      throw new SpError(400, 'InvalidInput', 'Invalid Input', `shipDate '${pd.shipDate}' is not an ISO 8601 date-time.`);
    }
    if (body.marketplaceId !== o.marketplaceId) throw new SpError(400, 'InvalidInput', 'Invalid Input', `The order is not in marketplace ${body.marketplaceId}.`);
    if (o.fulfilledBy === 'AMAZON') throw new SpError(400, 'InvalidInput', 'Invalid Input', 'Orders fulfilled by Amazon cannot be confirmed by the seller.');
    if (o.status === 'PENDING' || o.status === 'CANCELLED') {
      throw new SpError(400, 'InvalidInput', 'Invalid Input', `The order is ${o.status === 'PENDING' ? 'Pending' : 'Canceled'} and cannot be shipped.`);
    }
    const done = state.confirmations.get(o.orderId) ?? [];
    if (o.packages.some((p) => p.packageReferenceId === pd.packageReferenceId)) {
      throw new SpError(400, 'InvalidInput', 'Invalid Input', `The packageReferenceId ${pd.packageReferenceId} has already been confirmed for this order.`);
    }
    const wanted = new Map<string, number>();
    for (const line of pd.orderItems) {
      const it = o.items.find((x) => x.orderItemId === line.orderItemId);
      if (!it) throw new SpError(400, 'InvalidInput', 'Invalid Input', `orderItemId ${line.orderItemId} is not in the order.`);
      if (line.quantity < 1) throw new SpError(400, 'InvalidInput', 'Invalid Input', 'quantity must be at least 1.');
      const total = (wanted.get(line.orderItemId) ?? 0) + line.quantity;
      if (total > it.quantityOrdered - it.quantityShipped) {
        throw new SpError(400, 'InvalidInput', 'Invalid Input', `quantity ${total} for orderItemId ${line.orderItemId} exceeds the unshipped quantity ${it.quantityOrdered - it.quantityShipped}.`);
      }
      wanted.set(line.orderItemId, total);
    }
    const now = clock();
    for (const [id, qty] of wanted) {
      const it = o.items.find((x) => x.orderItemId === id);
      if (it) it.quantityShipped += qty;
    }
    o.packages.push({
      packageReferenceId: pd.packageReferenceId,
      carrierCode: pd.carrierCode,
      ...(pd.carrierName ? { carrierName: pd.carrierName } : {}),
      ...(pd.shippingMethod ? { shippingMethod: pd.shippingMethod } : {}),
      trackingNumber: pd.trackingNumber,
      shipDate: pd.shipDate,
      createdTime: new Date(now).toISOString(),
      items: [...wanted].map(([orderItemId, quantity]) => ({ orderItemId, quantity })),
    });
    done.push({ orderId: o.orderId, packageReferenceId: pd.packageReferenceId, carrierCode: pd.carrierCode, trackingNumber: pd.trackingNumber, items: [...wanted].map(([orderItemId, quantity]) => ({ orderItemId, quantity })), at: now });
    state.confirmations.set(o.orderId, done);
    const all = o.items.every((it) => it.quantityShipped >= it.quantityOrdered);
    const next: FulfillmentStatus = all ? 'SHIPPED' : 'PARTIALLY_SHIPPED';
    o.status = next;
    state.touchOrder(o);
    state.emitOrderChange(o, 'OrderStatusChange');
    return { status: 204 };
  }

  // ------------------------------------------------------------ sellers

  function getMarketplaceParticipations(): Answer {
    return {
      status: 200,
      body: {
        payload: marketplaceIds.map((id) => {
          const m = MARKETPLACES[id] ?? { name: id, countryCode: 'US', currency: 'USD', language: 'en_US', domain: 'www.amazon.com' };
          return {
            marketplace: { id, name: m.name, countryCode: m.countryCode, defaultCurrencyCode: m.currency, defaultLanguageCode: m.language, domainName: m.domain },
            participation: { isParticipating: true, hasSuspendedListings: false },
            storeName: 'Switchyard Simulated Store',
          };
        }),
      },
    };
  }

  // ------------------------------------------------------------ listings

  function listingStatus(l: SimListing): string[] {
    const fa = (l.attributes.fulfillment_availability ?? []) as { fulfillment_channel_code: string; quantity?: number }[];
    const hasOffer = (l.attributes.purchasable_offer ?? []).length > 0;
    const buyable = hasOffer && !l.issues.some((i) => i.severity === 'ERROR') && fa.some((f) => f.fulfillment_channel_code !== 'DEFAULT' || (f.quantity ?? 0) > 0);
    return buyable ? ['BUYABLE', 'DISCOVERABLE'] : ['DISCOVERABLE'];
  }

  function renderItem(l: SimListing, included: readonly string[]): Record<string, unknown> {
    const out: Record<string, unknown> = { sku: l.sku };
    const inc = new Set(included);
    if (inc.has('summaries')) {
      const name = (l.attributes.item_name?.[0] as { value?: string } | undefined)?.value;
      const cond = (l.attributes.condition_type?.[0] as { value?: string } | undefined)?.value;
      out.summaries = [
        {
          marketplaceId: l.marketplaceId,
          ...(l.asin ? { asin: l.asin } : {}),
          productType: l.productType,
          ...(cond ? { conditionType: cond } : {}),
          status: listingStatus(l),
          ...(l.fnSku ? { fnSku: l.fnSku } : {}),
          ...(name ? { itemName: name } : {}),
          createdDate: iso(l.createdDate),
          lastUpdatedDate: iso(l.lastUpdatedDate),
        },
      ];
    }
    if (inc.has('attributes')) out.attributes = structuredClone(l.attributes);
    if (inc.has('issues')) out.issues = l.issues.map((i) => ({ ...i }));
    if (inc.has('offers')) {
      out.offers = ((l.attributes.purchasable_offer ?? []) as { currency: string; audience?: string; marketplace_id?: string; our_price?: { schedule: { value_with_tax: number }[] }[] }[])
        .filter((o) => o.our_price?.[0]?.schedule[0])
        .map((o) => ({
          marketplaceId: o.marketplace_id ?? l.marketplaceId,
          offerType: o.audience === 'B2B' ? 'B2B' : 'B2C',
          price: { currencyCode: o.currency, amount: (o.our_price?.[0]?.schedule[0]?.value_with_tax as number).toFixed(2) },
        }));
    }
    if (inc.has('fulfillmentAvailability')) {
      out.fulfillmentAvailability = ((l.attributes.fulfillment_availability ?? []) as { fulfillment_channel_code: string; quantity?: number }[]).map((f) => {
        const fba = f.fulfillment_channel_code !== 'DEFAULT' ? state.fbaInventory.get(l.sku) : undefined;
        const quantity = f.fulfillment_channel_code === 'DEFAULT' ? f.quantity : fba?.fulfillable;
        return { fulfillmentChannelCode: f.fulfillment_channel_code, ...(quantity !== undefined ? { quantity } : {}) };
      });
    }
    if (inc.has('productTypes')) out.productTypes = [{ marketplaceId: l.marketplaceId, productType: l.productType }];
    if (inc.has('relationships')) {
      // Variation families from the SHIRT attributes: children name their parent; parents carry the theme.
      const parentSku = (l.attributes.child_parent_sku_relationship?.[0] as { parent_sku?: string } | undefined)?.parent_sku;
      const theme = (l.attributes.variation_theme?.[0] as { name?: string } | undefined)?.name;
      const children = theme ? [...state.listings.values()].filter((c) => (c.attributes.child_parent_sku_relationship?.[0] as { parent_sku?: string } | undefined)?.parent_sku === l.sku).map((c) => c.sku) : [];
      const rels: Record<string, unknown>[] = [];
      if (parentSku) rels.push({ type: 'VARIATION', parentSkus: [parentSku] });
      if (theme) rels.push({ type: 'VARIATION', childSkus: children, variationTheme: { theme, attributes: theme.toLowerCase().split('/') } });
      out.relationships = [{ marketplaceId: l.marketplaceId, relationships: rels }];
    }
    if (inc.has('procurement')) out.procurement = [];
    return out;
  }

  function getListingsItem(c: Ctx): Answer {
    checkSeller(c.path.sellerId);
    const mps = checkMarketplaces(c.q.marketplaceIds);
    const l = state.listings.get(String(c.path.sku));
    if (!l || !mps.includes(l.marketplaceId)) throw new SpError(404, 'NOT_FOUND', `SKU '${c.path.sku}' not found in marketplace ${mps.join(',')}`);
    return { status: 200, body: renderItem(l, c.q.includedData as string[]) };
  }

  interface ListingsCursor {
    f: string;
    o: number;
  }

  function searchListingsItems(c: Ctx): Answer {
    checkSeller(c.path.sellerId);
    const mps = checkMarketplaces(c.q.marketplaceIds);
    const q = c.q;
    const ids = q.identifiers as string[] | undefined;
    const idType = q.identifiersType as string | undefined;
    if (ids && !idType) throw new SpError(400, 'InvalidInput', 'identifiersType is required with identifiers.');
    const ca = date(q, 'createdAfter');
    const cb = date(q, 'createdBefore');
    const ua = date(q, 'lastUpdatedAfter');
    const ub = date(q, 'lastUpdatedBefore');
    const withStatus = q.withStatus as string[] | undefined;
    const withoutStatus = q.withoutStatus as string[] | undefined;
    const withSeverity = q.withIssueSeverity as string[] | undefined;
    const idSet = ids ? new Set(ids) : null;
    const parentFilter = q.variationParentSku as string | undefined;
    const matches = [...state.listings.values()].filter((l) => {
      if (!mps.includes(l.marketplaceId)) return false;
      if (idSet) {
        if (idType === 'SKU' && !idSet.has(l.sku)) return false;
        if (idType === 'ASIN' && !idSet.has(l.asin ?? '')) return false;
        if (idType === 'FNSKU' && !idSet.has(l.fnSku ?? '')) return false;
        if (idType && !['SKU', 'ASIN', 'FNSKU'].includes(idType)) {
          const ext = (l.attributes.externally_assigned_product_identifier ?? []) as { type: string; value: string }[];
          const want = idType.toLowerCase();
          if (!ext.some((e) => (want === 'gtin' || e.type === want) && idSet.has(e.value))) return false;
        }
      }
      if (parentFilter && (l.attributes.child_parent_sku_relationship?.[0] as { parent_sku?: string } | undefined)?.parent_sku !== parentFilter) return false;
      if (ca !== undefined && l.createdDate < ca) return false;
      if (cb !== undefined && l.createdDate > cb) return false;
      if (ua !== undefined && l.lastUpdatedDate < ua) return false;
      if (ub !== undefined && l.lastUpdatedDate > ub) return false;
      if (withStatus || withoutStatus) {
        const st = listingStatus(l);
        if (withStatus && !withStatus.some((s) => st.includes(s))) return false;
        if (withoutStatus && withoutStatus.some((s) => st.includes(s))) return false;
      }
      if (withSeverity && !l.issues.some((i) => withSeverity.includes(i.severity))) return false;
      return true;
    });
    const sortBy = q.sortBy as string;
    const dir = q.sortOrder === 'ASC' ? 1 : -1;
    const keyOf = (l: SimListing): string | number => (sortBy === 'sku' ? l.sku : sortBy === 'createdDate' ? l.createdDate : l.lastUpdatedDate);
    const keyed = matches.map((l) => ({ l, k: keyOf(l) }));
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.l.sku < b.l.sku ? -1 : a.l.sku > b.l.sku ? 1 : 0) * dir);
    for (let i = 0; i < keyed.length; i++) matches[i] = (keyed[i] as { l: SimListing }).l;
    const fhash = createHash('sha1')
      .update(JSON.stringify([mps, ids, idType, parentFilter, q.createdAfter, q.createdBefore, q.lastUpdatedAfter, q.lastUpdatedBefore, withStatus, withoutStatus, withSeverity, sortBy, q.sortOrder]))
      .digest('hex')
      .slice(0, 16);
    let offset = 0;
    if (q.pageToken !== undefined) {
      const cur = unb64<ListingsCursor>(String(q.pageToken));
      if (!cur || cur.f !== fhash || typeof cur.o !== 'number') throw new SpError(400, 'InvalidInput', 'Invalid pageToken.', 'The page token does not belong to this query.');
      offset = cur.o;
    }
    const size = q.pageSize as number;
    const page = matches.slice(offset, offset + size);
    const pagination: Record<string, string> = {};
    if (offset + size < matches.length) pagination.nextToken = b64({ f: fhash, o: offset + size });
    if (offset > 0) pagination.previousToken = b64({ f: fhash, o: Math.max(0, offset - size) });
    return {
      status: 200,
      body: {
        numberOfResults: matches.length,
        ...(Object.keys(pagination).length ? { pagination } : {}),
        items: page.map((l) => renderItem(l, q.includedData as string[])),
      },
    };
  }

  function submission(c: Ctx, kind: 'patch' | 'put'): Answer {
    checkSeller(c.path.sellerId);
    const mps = checkMarketplaces(c.q.marketplaceIds);
    const sku = String(c.path.sku);
    const body = c.body as { productType: string; patches?: { op: string; path: string; value?: unknown[] }[]; attributes?: Record<string, unknown[]>; requirements?: Requirements };
    const preview = c.q.mode === 'VALIDATION_PREVIEW';
    const r = state.submitListing({
      sku,
      productType: body.productType,
      kind,
      ...(body.patches ? { patches: body.patches } : {}),
      ...(body.attributes ? { attributes: body.attributes } : {}),
      requirements: body.requirements ?? 'LISTING',
      ...(mps[0] ? { marketplaceId: mps[0] } : {}),
      preview,
      via: kind === 'patch' ? 'patchListingsItem' : 'putListingsItem',
    });
    const included = (c.q.includedData as string[] | undefined) ?? ['issues'];
    const l = state.listings.get(sku);
    return {
      status: 200,
      body: {
        sku,
        status: r.status,
        submissionId: r.submissionId,
        ...(included.includes('issues') ? { issues: r.issues } : {}),
        ...(included.includes('identifiers') ? { identifiers: l?.asin && r.status !== 'INVALID' ? [{ marketplaceId: l.marketplaceId, asin: l.asin }] : [] } : {}),
      },
    };
  }

  function deleteListingsItem(c: Ctx): Answer {
    checkSeller(c.path.sellerId);
    checkMarketplaces(c.q.marketplaceIds);
    const r = state.deleteListing(String(c.path.sku), 'deleteListingsItem');
    return { status: 200, body: { sku: String(c.path.sku), status: 'ACCEPTED', submissionId: r.submissionId, issues: [] } };
  }

  // ------------------------------------------------------------ feeds

  function createFeedDocument(c: Ctx): Answer {
    const body = c.body as { contentType: string };
    const id = 'amzn1.tortuga.4.na.' + randomUUID();
    state.feedDocuments.set(id, { feedDocumentId: id, contentType: body.contentType, content: null, createdAt: clock() });
    return { status: 201, body: { feedDocumentId: id, url: presign(`/_sim/s3/feed-documents/${encodeURIComponent(id)}`, 300) } };
  }

  function createFeed(c: Ctx): Answer {
    const body = c.body as { feedType: string; marketplaceIds: string[]; inputFeedDocumentId: string; feedOptions?: Record<string, string> };
    checkMarketplaces(body.marketplaceIds);
    if (body.feedType !== 'JSON_LISTINGS_FEED') {
      throw new SpError(400, 'InvalidInput', `Feed type ${body.feedType} is not supported.`, 'The simulator processes JSON_LISTINGS_FEED; the XML and flat-file listings feeds were retired.');
    }
    if (!state.feedDocuments.has(body.inputFeedDocumentId)) throw new SpError(400, 'InvalidInput', 'Invalid input', `inputFeedDocumentId ${body.inputFeedDocumentId} does not exist.`);
    const feedId = String(50_000_000_000 + state.nextId());
    const feed: SimFeed = { feedId, feedType: body.feedType, marketplaceIds: body.marketplaceIds, inputFeedDocumentId: body.inputFeedDocumentId, createdTime: clock(), processingStatus: 'IN_QUEUE' };
    state.feeds.set(feedId, feed);
    const t = setTimeout(() => {
      timers.delete(t);
      advanceFeeds();
    }, feedMs + 5);
    t.unref();
    timers.add(t);
    return { status: 202, body: { feedId } };
  }

  function renderFeed(f: SimFeed): Record<string, unknown> {
    return {
      feedId: f.feedId,
      feedType: f.feedType,
      marketplaceIds: f.marketplaceIds,
      createdTime: iso(f.createdTime),
      processingStatus: f.processingStatus,
      ...(f.processingStartTime !== undefined ? { processingStartTime: iso(f.processingStartTime) } : {}),
      ...(f.processingEndTime !== undefined ? { processingEndTime: iso(f.processingEndTime) } : {}),
      ...(f.resultFeedDocumentId ? { resultFeedDocumentId: f.resultFeedDocumentId } : {}),
    };
  }

  function getFeed(c: Ctx): Answer {
    const f = state.feeds.get(String(c.path.feedId));
    if (!f) throw new SpError(404, 'NotFound', `Feed ${c.path.feedId} was not found.`);
    return { status: 200, body: renderFeed(f) };
  }

  function getFeeds(c: Ctx): Answer {
    const q = c.q;
    if (!q.nextToken && !q.feedTypes) throw new SpError(400, 'InvalidInput', 'feedTypes is required when nextToken is not given.');
    let list = [...state.feeds.values()].sort((a, b) => b.createdTime - a.createdTime);
    const types = q.feedTypes as string[] | undefined;
    const statuses = q.processingStatuses as string[] | undefined;
    if (types) list = list.filter((f) => types.includes(f.feedType));
    if (statuses) list = list.filter((f) => statuses.includes(f.processingStatus));
    const offset = q.nextToken ? (unb64<{ o: number }>(String(q.nextToken))?.o ?? 0) : 0;
    const size = q.pageSize as number;
    const page = list.slice(offset, offset + size);
    return { status: 200, body: { feeds: page.map(renderFeed), ...(offset + size < list.length ? { nextToken: b64({ o: offset + size }) } : {}) } };
  }

  function cancelFeed(c: Ctx): Answer {
    const f = state.feeds.get(String(c.path.feedId));
    if (!f) throw new SpError(404, 'NotFound', `Feed ${c.path.feedId} was not found.`);
    if (f.processingStatus !== 'IN_QUEUE') throw new SpError(400, 'InvalidInput', 'Only feeds IN_QUEUE can be cancelled.');
    f.processingStatus = 'CANCELLED';
    return { status: 200 };
  }

  function getFeedDocument(c: Ctx): Answer {
    const d = state.feedDocuments.get(String(c.path.feedDocumentId));
    if (!d) throw new SpError(404, 'NotFound', `Feed document ${c.path.feedDocumentId} was not found.`);
    return {
      status: 200,
      body: { feedDocumentId: d.feedDocumentId, url: presign(`/_sim/s3/feed-documents/${encodeURIComponent(d.feedDocumentId)}`, 300), ...(d.compression ? { compressionAlgorithm: d.compression } : {}) },
    };
  }

  function advanceFeeds(): void {
    const now = clock();
    for (const f of state.feeds.values()) {
      if (f.processingStatus === 'IN_QUEUE' && now >= f.createdTime + feedMs / 4) {
        f.processingStatus = 'IN_PROGRESS';
        f.processingStartTime = f.createdTime + Math.ceil(feedMs / 4);
      }
      if (f.processingStatus === 'IN_PROGRESS' && now >= f.createdTime + feedMs) processFeed(f);
    }
  }

  function processFeed(f: SimFeed): void {
    const doc = state.feedDocuments.get(f.inputFeedDocumentId);
    const issues: Record<string, unknown>[] = [];
    let accepted = 0;
    let invalid = 0;
    let processed = 0;
    let fatal = false;
    let header: { sellerId?: string; report?: { includedData: string[] } } = {};
    let parsed = null as { header?: typeof header; messages?: unknown[] } | null;
    if (!doc?.content) {
      fatal = true;
      issues.push({ code: '100001', severity: 'ERROR', message: 'The feed document was never uploaded.' });
    } else {
      try {
        const raw = doc.content[0] === 0x1f && doc.content[1] === 0x8b ? gunzipSync(doc.content) : doc.content;
        parsed = JSON.parse(raw.toString('utf8')) as typeof parsed;
      } catch {
        fatal = true;
        issues.push({ code: '100001', severity: 'ERROR', message: 'The feed document is not valid JSON.' });
      }
    }
    if (parsed) {
      header = parsed.header ?? {};
      const headerOk = models.listingsFeed({ header: parsed.header, messages: [{ messageId: 1, sku: 'x', operationType: 'DELETE' }] });
      if (!headerOk || !Array.isArray(parsed.messages) || parsed.messages.length === 0) {
        fatal = true;
        issues.push({ code: '100001', severity: 'ERROR', message: `The feed does not conform to the listings feed schema: ${ajvErrors(models.listingsFeed) || 'messages are missing'}` });
      } else if (header.sellerId !== sellerId) {
        fatal = true;
        issues.push({ code: '100002', severity: 'ERROR', message: `The feed's sellerId ${String(header.sellerId)} does not match the submitting seller.` });
      }
    }
    const touched: string[] = [];
    if (!fatal && parsed?.messages) {
      const seen = new Set<number>();
      for (const m of parsed.messages) {
        processed++;
        const msg = m as { messageId: number; sku: string; operationType: string; productType?: string; requirements?: Requirements; attributes?: Record<string, unknown[]>; patches?: { op: string; path: string; value?: unknown[] }[] };
        if (!models.listingsFeedMessage(m)) {
          invalid++;
          issues.push({
            ...(typeof msg?.messageId === 'number' && msg.messageId >= 1 ? { messageId: msg.messageId } : {}),
            ...(typeof msg?.sku === 'string' && msg.sku ? { sku: msg.sku } : {}),
            code: '100002',
            severity: 'ERROR',
            message: `The message does not conform to the listings feed message schema: ${ajvErrors(models.listingsFeedMessage)}`,
          });
          continue;
        }
        if (seen.has(msg.messageId)) {
          invalid++;
          issues.push({ messageId: msg.messageId, sku: msg.sku, code: '100003', severity: 'ERROR', message: `messageId ${msg.messageId} is used by more than one message.` });
          continue;
        }
        seen.add(msg.messageId);
        if (msg.operationType === 'DELETE') {
          state.deleteListing(msg.sku, `feed:${f.feedId}`);
          accepted++;
          continue;
        }
        const existing = state.listings.get(msg.sku);
        const productType = msg.productType ?? existing?.productType;
        if (!productType) {
          invalid++;
          issues.push({ messageId: msg.messageId, sku: msg.sku, code: '4000003', severity: 'ERROR', message: 'productType is required for a listing that does not exist yet.' });
          continue;
        }
        const r = state.submitListing({
          sku: msg.sku,
          productType,
          kind: msg.operationType === 'UPDATE' ? 'put' : msg.operationType === 'PARTIAL_UPDATE' ? 'partial' : 'patch',
          ...(msg.patches ? { patches: msg.patches } : {}),
          ...(msg.attributes ? { attributes: msg.attributes } : {}),
          requirements: msg.requirements ?? 'LISTING',
          ...(f.marketplaceIds[0] ? { marketplaceId: f.marketplaceIds[0] } : {}),
          via: 'feed',
        });
        for (const i of r.issues) {
          issues.push({ messageId: msg.messageId, sku: msg.sku, code: i.code, severity: i.severity, message: i.message, ...(i.attributeNames[0] ? { attributeName: i.attributeNames[0] } : {}) });
        }
        if (r.status === 'ACCEPTED') {
          accepted++;
          touched.push(msg.sku);
        } else invalid++;
      }
    }
    const errorsN = issues.filter((i) => i.severity === 'ERROR').length;
    const report: Record<string, unknown> = {
      header: { sellerId, version: '2.0', feedId: f.feedId, ...(header.report ? { report: header.report } : {}) },
      issues,
      summary: { errors: errorsN, warnings: issues.filter((i) => i.severity === 'WARNING').length, messagesProcessed: processed, messagesAccepted: accepted, messagesInvalid: invalid },
    };
    if (header.report?.includedData && !fatal) {
      const items = [...new Set(touched)].map((sku) => state.listings.get(sku)).filter((l): l is SimListing => !!l).map((l) => renderItem(l, header.report?.includedData ?? []));
      report.items = items;
      (report.summary as Record<string, unknown>).itemSummary = { items: items.length, errors: 0, warnings: 0 };
    }
    if (!models.processingReport(report)) violations.push(`feed ${f.feedId} processing report: ${ajvErrors(models.processingReport)}`);
    const resultId = 'amzn1.tortuga.4.na.' + randomUUID();
    state.feedDocuments.set(resultId, { feedDocumentId: resultId, contentType: 'application/json', content: gzipSync(Buffer.from(JSON.stringify(report))), compression: 'GZIP', createdAt: clock() });
    f.report = report;
    f.resultFeedDocumentId = resultId;
    f.processingStatus = fatal ? 'FATAL' : 'DONE';
    f.processingStartTime ??= f.createdTime;
    f.processingEndTime = Math.max(clock(), f.createdTime + Math.ceil(feedMs));
  }

  // ------------------------------------------------------------ FBA inventory, catalog, product types

  function getInventorySummaries(c: Ctx): Answer {
    const q = c.q;
    const mps = checkMarketplaces(q.marketplaceIds);
    if (q.granularityId !== mps[0]) throw new SpError(400, 'InvalidInput', 'granularityId must be the marketplaceId of the request.');
    const skus = (q.sellerSkus as string[] | undefined) ?? (q.sellerSku ? [String(q.sellerSku)] : undefined);
    const start = date(q, 'startDateTime');
    if (start !== undefined && start < clock() - 18 * 30 * 86_400_000) throw new SpError(400, 'InvalidInput', 'startDateTime cannot be more than 18 months in the past.');
    let list = [...state.fbaInventory.values()].sort((a, b) => (a.sellerSku < b.sellerSku ? -1 : 1));
    if (skus) list = list.filter((i) => skus.includes(i.sellerSku));
    if (start !== undefined) list = list.filter((i) => i.lastUpdatedTime >= start);
    let offset = 0;
    if (q.nextToken !== undefined) {
      const cur = unb64<{ o: number }>(String(q.nextToken));
      if (!cur || typeof cur.o !== 'number') throw new SpError(400, 'InvalidInput', 'Invalid nextToken.');
      offset = cur.o;
    }
    const page = list.slice(offset, offset + 50);
    return {
      status: 200,
      body: {
        payload: {
          granularity: { granularityType: 'Marketplace', granularityId: String(q.granularityId) },
          inventorySummaries: page.map((i) => ({
            asin: i.asin,
            fnSku: i.fnSku,
            sellerSku: i.sellerSku,
            condition: i.condition,
            ...(q.details
              ? {
                  inventoryDetails: {
                    fulfillableQuantity: i.fulfillable,
                    inboundWorkingQuantity: i.inboundWorking,
                    inboundShippedQuantity: i.inboundShipped,
                    inboundReceivingQuantity: i.inboundReceiving,
                    reservedQuantity: { totalReservedQuantity: i.reserved, pendingCustomerOrderQuantity: i.reserved, pendingTransshipmentQuantity: 0, fcProcessingQuantity: 0 },
                    researchingQuantity: { totalResearchingQuantity: i.researching, researchingQuantityBreakdown: [{ name: 'researchingQuantityInShortTerm', quantity: i.researching }] },
                    unfulfillableQuantity: { totalUnfulfillableQuantity: i.unfulfillable, customerDamagedQuantity: i.unfulfillable, warehouseDamagedQuantity: 0, distributorDamagedQuantity: 0, carrierDamagedQuantity: 0, defectiveQuantity: 0, expiredQuantity: 0 },
                  },
                }
              : {}),
            lastUpdatedTime: iso(i.lastUpdatedTime),
            productName: i.productName,
            totalQuantity: i.fulfillable + i.inboundWorking + i.inboundShipped + i.inboundReceiving + i.reserved + i.unfulfillable + i.researching,
            stores: [],
          })),
        },
        ...(offset + 50 < list.length ? { pagination: { nextToken: b64({ o: offset + 50 }) } } : {}),
      },
    };
  }

  function renderCatalog(asin: string, mp: string, included: readonly string[]): Record<string, unknown> | null {
    const item = state.catalog.get(asin);
    if (!item) return null;
    const out: Record<string, unknown> = { asin };
    if (included.includes('summaries')) out.summaries = [{ marketplaceId: mp, brand: item.brand, itemName: item.itemName, itemClassification: 'BASE_PRODUCT' }];
    if (included.includes('identifiers')) out.identifiers = [{ marketplaceId: mp, identifiers: item.identifiers }];
    if (included.includes('productTypes')) out.productTypes = [{ marketplaceId: mp, productType: item.productType }];
    return out;
  }

  function searchCatalogItems(c: Ctx): Answer {
    const q = c.q;
    const mps = checkMarketplaces(q.marketplaceIds);
    const ids = q.identifiers as string[] | undefined;
    const kw = q.keywords as string[] | undefined;
    if (!ids === !kw) throw new SpError(400, 'InvalidInput', 'Exactly one of identifiers and keywords must be provided.');
    if (ids && !q.identifiersType) throw new SpError(400, 'InvalidInput', 'identifiersType is required with identifiers.');
    if (q.identifiersType === 'SKU' && q.sellerId !== sellerId) throw new SpError(400, 'InvalidInput', 'sellerId is required when identifiersType is SKU.');
    const type = String(q.identifiersType ?? '');
    const found = [...state.catalog.values()].filter((it) => {
      if (ids) {
        if (type === 'ASIN') return ids.includes(it.asin);
        if (type === 'SKU') return [...state.listings.values()].some((l) => l.asin === it.asin && ids.includes(l.sku));
        return it.identifiers.some((x) => (x.identifierType === type || (type === 'GTIN' && x.identifierType === 'EAN')) && ids.includes(x.identifier));
      }
      const text = `${it.itemName} ${it.brand}`.toLowerCase();
      return (kw ?? []).every((k) => text.includes(k.toLowerCase()));
    });
    const size = q.pageSize as number;
    const offset = q.pageToken ? (unb64<{ o: number }>(String(q.pageToken))?.o ?? 0) : 0;
    const page = found.slice(offset, offset + size);
    return {
      status: 200,
      body: {
        numberOfResults: found.length,
        ...(offset + size < found.length ? { pagination: { nextToken: b64({ o: offset + size }) } } : {}),
        items: page.map((it) => renderCatalog(it.asin, mps[0] as string, q.includedData as string[])),
      },
    };
  }

  function getCatalogItem(c: Ctx): Answer {
    const mps = checkMarketplaces(c.q.marketplaceIds);
    const item = renderCatalog(String(c.path.asin), mps[0] as string, c.q.includedData as string[]);
    if (!item) throw new SpError(404, 'NOT_FOUND', `Requested item '${c.path.asin}' not found in marketplace '${mps[0]}'.`);
    return { status: 200, body: item };
  }

  function getDefinitionsProductType(c: Ctx): Answer {
    const q = c.q;
    const mps = checkMarketplaces(q.marketplaceIds);
    const pt = String(c.path.productType);
    if (!isProductType(pt)) throw new SpError(404, 'NOT_FOUND', `Product type ${pt} was not found.`);
    const requirements = q.requirements as Requirements;
    const version = String(q.productTypeVersion);
    const revision = state.productTypeRevisions.get(pt) ?? 0;
    const known = Array.from({ length: revision + 1 }, (_v, r) => ptdVersion(r));
    if (version !== 'LATEST' && !known.includes(version)) throw new SpError(404, 'NOT_FOUND', `Version ${version} of product type ${pt} was not found.`);
    const served = version === 'LATEST' ? revision : known.indexOf(version);
    const doc = ptdDocument(pt, requirements, served);
    const meta = createHash('md5').update(META_SCHEMA_ID).digest('base64');
    return {
      status: 200,
      body: {
        metaSchema: { link: { resource: presign('/_sim/s3/ptd/meta-schema.json', 7 * 86_400), verb: 'GET' }, checksum: meta },
        schema: { link: { resource: presign(`/_sim/s3/ptd/${pt}/${requirements}/${served}.json`, 7 * 86_400), verb: 'GET' }, checksum: doc.checksum },
        requirements,
        requirementsEnforced: q.requirementsEnforced,
        propertyGroups: propertyGroups(pt),
        locale: q.locale === 'DEFAULT' ? (MARKETPLACES[mps[0] as string]?.language ?? 'en_US') : q.locale,
        marketplaceIds: mps,
        productType: pt,
        displayName: DISPLAY_NAMES[pt],
        productTypeVersion: { version: ptdVersion(served), latest: served === revision, releaseCandidate: false },
      },
    };
  }

  function searchDefinitionsProductTypes(c: Ctx): Answer {
    const mps = checkMarketplaces(c.q.marketplaceIds);
    const kw = ((c.q.keywords as string[] | undefined) ?? []).map((k) => k.toLowerCase());
    const name = c.q.itemName ? String(c.q.itemName).toLowerCase() : '';
    const list = PRODUCT_TYPES.filter((pt) => {
      const text = `${pt} ${DISPLAY_NAMES[pt]}`.toLowerCase();
      return kw.every((k) => text.includes(k)) && (!name || name.split(/\s+/).some((w) => text.includes(w)));
    });
    return { status: 200, body: { productTypes: list.map((pt) => ({ name: pt, displayName: DISPLAY_NAMES[pt], marketplaceIds: mps })), productTypeVersion: PTD_VERSION } };
  }

  // ------------------------------------------------------------ notifications

  function destinationOut(d: { destinationId: string; name: string; resource: Record<string, unknown> }): Record<string, unknown> {
    return { name: d.name, destinationId: d.destinationId, resource: d.resource };
  }

  function createDestination(c: Ctx): Answer {
    const body = c.body as { name: string; resourceSpecification: { sqs?: { arn: string }; eventBridge?: { region: string; accountId: string } } };
    const spec = body.resourceSpecification;
    if (!spec.sqs && !spec.eventBridge) throw new SpError(400, 'InvalidInput', 'resourceSpecification needs sqs or eventBridge.');
    for (const d of state.destinations.values()) {
      if (deepEqual(d.resource.sqs, spec.sqs) && spec.sqs) throw new SpError(409, 'Conflict', 'A destination for this resource already exists.', d.destinationId);
    }
    const destinationId = randomUUID();
    const resource: Record<string, unknown> = spec.sqs
      ? { sqs: { arn: spec.sqs.arn } }
      : { eventBridge: { name: `aws.partner/sellingpartnerapi.amazon.com/${spec.eventBridge?.accountId}/${destinationId}`, region: spec.eventBridge?.region, accountId: spec.eventBridge?.accountId } };
    const d = { destinationId, name: body.name, resource };
    state.destinations.set(destinationId, d);
    return { status: 200, body: { payload: destinationOut(d) } };
  }

  function getDestinations(): Answer {
    return { status: 200, body: { payload: [...state.destinations.values()].map(destinationOut) } };
  }

  function getDestination(c: Ctx): Answer {
    const d = state.destinations.get(String(c.path.destinationId));
    if (!d) throw new SpError(404, 'NotFound', `Destination ${c.path.destinationId} was not found.`);
    return { status: 200, body: { payload: destinationOut(d) } };
  }

  function deleteDestination(c: Ctx): Answer {
    if (!state.destinations.delete(String(c.path.destinationId))) throw new SpError(404, 'NotFound', `Destination ${c.path.destinationId} was not found.`);
    return { status: 200, body: {} };
  }

  function subOut(s: { subscriptionId: string; payloadVersion: string; destinationId: string; processingDirective?: unknown }): Record<string, unknown> {
    return { subscriptionId: s.subscriptionId, payloadVersion: s.payloadVersion, destinationId: s.destinationId, ...(s.processingDirective ? { processingDirective: s.processingDirective } : {}) };
  }

  function createSubscription(c: Ctx): Answer {
    const type = String(c.path.notificationType);
    const body = c.body as { payloadVersion: string; destinationId: string; processingDirective?: unknown };
    if (!state.destinations.has(body.destinationId)) throw new SpError(400, 'InvalidInput', `Destination ${body.destinationId} does not exist.`);
    for (const s of state.subscriptions.values()) {
      if (s.notificationType === type) throw new SpError(409, 'Conflict', `A subscription for ${type} already exists.`, s.subscriptionId);
    }
    const s = { subscriptionId: randomUUID(), notificationType: type, payloadVersion: body.payloadVersion, destinationId: body.destinationId, ...(body.processingDirective ? { processingDirective: body.processingDirective } : {}) };
    state.subscriptions.set(s.subscriptionId, s);
    return { status: 200, body: { payload: subOut(s) } };
  }

  function getSubscription(c: Ctx): Answer {
    const s = [...state.subscriptions.values()].find((x) => x.notificationType === c.path.notificationType);
    if (!s) throw new SpError(404, 'NotFound', `No subscription for ${c.path.notificationType}.`);
    return { status: 200, body: { payload: subOut(s) } };
  }

  function getSubscriptionById(c: Ctx): Answer {
    const s = state.subscriptions.get(String(c.path.subscriptionId));
    if (!s || s.notificationType !== c.path.notificationType) throw new SpError(404, 'NotFound', `Subscription ${c.path.subscriptionId} was not found.`);
    return { status: 200, body: { payload: subOut(s) } };
  }

  function deleteSubscriptionById(c: Ctx): Answer {
    const s = state.subscriptions.get(String(c.path.subscriptionId));
    if (!s || s.notificationType !== c.path.notificationType) throw new SpError(404, 'NotFound', `Subscription ${c.path.subscriptionId} was not found.`);
    state.subscriptions.delete(s.subscriptionId);
    return { status: 200, body: {} };
  }

  const handlers: Record<string, (c: Ctx) => Answer> = {
    searchOrders,
    getOrder,
    confirmShipment,
    getMarketplaceParticipations,
    getListingsItem,
    searchListingsItems,
    patchListingsItem: (c) => submission(c, 'patch'),
    putListingsItem: (c) => submission(c, 'put'),
    deleteListingsItem,
    createFeedDocument,
    createFeed,
    getFeed,
    getFeeds,
    cancelFeed,
    getFeedDocument,
    getInventorySummaries,
    searchCatalogItems,
    getCatalogItem,
    getDefinitionsProductType,
    searchDefinitionsProductTypes,
    createDestination,
    getDestinations,
    getDestination,
    deleteDestination,
    createSubscription,
    getSubscription,
    getSubscriptionById,
    deleteSubscriptionById,
  };

  // ------------------------------------------------------------ sandbox

  /** The static case a request matches: every valued parameter equal; the most specific case wins. */
  function sandboxAnswer(op: OperationSpec, pathParams: Record<string, string>, query: URLSearchParams, body: unknown): Answer {
    let best: SandboxCase | null = null;
    let bestScore = -1;
    for (const c of op.sandbox) {
      let score = 0;
      let ok = true;
      for (const [name, spec] of Object.entries(c.parameters)) {
        if (!('value' in spec)) continue;
        const p = op.parameters.find((x) => x.name === name);
        let actual: unknown;
        if (p?.in === 'body' || name === 'body') actual = body;
        else if (p?.in === 'path') actual = pathParams[name];
        else if (p) {
          // The sandbox compares what was sent, valid or not (its 400 cases send invalid values).
          const raw = query.getAll(name);
          if (raw.length === 0) actual = undefined;
          else if (p.type === 'array') actual = raw.flatMap((r) => r.split(','));
          else if (p.type === 'integer' || p.type === 'number') actual = Number.isNaN(Number(raw[0])) ? raw[0] : Number(raw[0]);
          else if (p.type === 'boolean') actual = raw[0] === 'true' ? true : raw[0] === 'false' ? false : raw[0];
          else actual = raw[0];
        }
        if (!deepEqual(actual, spec.value)) {
          ok = false;
          break;
        }
        score++;
      }
      if (ok && score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    if (!best) return { status: 400, body: errors('InvalidInput', 'Could not match input arguments with any sandbox test case.') };
    return { status: best.status, ...(best.hasResponse ? { body: best.response } : {}) };
  }

  // ------------------------------------------------------------ LWA

  function lwaToken(form: URLSearchParams): Answer {
    const err = (status: number, error: string, description: string): Answer => ({ status, body: { error_description: description, error } });
    const grant = form.get('grant_type');
    if (form.get('client_id') !== credentials.client_id) return err(401, 'invalid_client', 'Client authentication failed');
    if (form.get('client_secret') !== credentials.client_secret || lwa.secretExpired) {
      return err(401, 'invalid_client', lwa.secretExpired ? 'The client secret has expired' : 'Client authentication failed');
    }
    const issue = (kind: TokenInfo['kind'], scope?: string, withRefresh = false): Answer => {
      const token = 'Atza|' + randomBytes(40).toString('base64url');
      tokens.set(token, { kind, ...(scope ? { scope } : {}), expiresAt: clock() + 3_600_000 / timeScale, generation: lwa.generation });
      lwa.issued++;
      return {
        status: 200,
        // 3600 s scaled like every other duration; rounded down so the token never dies before expires_in says.
        body: { access_token: token, ...(withRefresh ? { refresh_token: credentials.refresh_token } : {}), token_type: 'bearer', expires_in: Math.max(1, Math.floor(3600 / timeScale)) },
      };
    };
    if (grant === 'refresh_token') {
      const rt = form.get('refresh_token');
      if (!rt) return err(400, 'invalid_request', 'The request is missing a required parameter : refresh_token');
      if (rt !== credentials.refresh_token || lwa.refreshRevoked) return err(400, 'invalid_grant', 'The request has an invalid grant parameter : refresh_token');
      return issue('seller', undefined, true);
    }
    if (grant === 'client_credentials') {
      const scope = form.get('scope');
      if (!scope) return err(400, 'invalid_request', 'The request is missing a required parameter : scope');
      if (!['sellingpartnerapi::notifications', 'sellingpartnerapi::client_credential:rotation'].includes(scope)) return err(400, 'invalid_scope', 'An unknown scope was requested');
      return issue('grantless', scope);
    }
    if (grant === 'authorization_code') {
      if (form.get('code') !== authorizationCode) return err(400, 'invalid_grant', 'The request has an invalid grant parameter : code');
      return issue('seller', undefined, true);
    }
    return err(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server');
  }

  // ------------------------------------------------------------ HTTP

  function send(res: ServerResponse, a: Answer, malformed = false): void {
    const headers: Record<string, string> = { 'x-amzn-RequestId': randomUUID(), ...(a.headers ?? {}) };
    if (a.body === undefined || a.status === 204) {
      res.writeHead(a.status, headers);
      res.end();
      return;
    }
    let text = typeof a.body === 'string' || Buffer.isBuffer(a.body) ? a.body : JSON.stringify(a.body);
    if (malformed && typeof text === 'string') text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    if (!headers['content-type']) headers['content-type'] = 'application/json';
    res.writeHead(a.status, headers);
    res.end(text);
  }

  function authOf(req: IncomingMessage, op: OperationSpec): TokenInfo {
    const raw = req.headers['x-amz-access-token'];
    const token = Array.isArray(raw) ? raw[0] : raw;
    if (!token) throw new SpError(403, 'MissingAuthenticationToken', 'Access to requested resource is denied.', 'The request is missing the x-amz-access-token header.');
    const info = tokens.get(token);
    if (!info) throw new SpError(403, 'Unauthorized', 'Access to requested resource is denied.', 'The access token you provided is revoked, malformed or invalid.');
    if (clock() >= info.expiresAt || info.generation < lwa.generation) {
      throw new SpError(403, 'Unauthorized', 'Access to requested resource is denied.', 'The access token you provided has expired.');
    }
    if (op.grantless && info.kind === 'grantless' && info.scope !== 'sellingpartnerapi::notifications') {
      throw new SpError(403, 'Unauthorized', 'Access to requested resource is denied.', `The token's scope ${String(info.scope)} does not cover this operation.`);
    }
    if (op.grantless !== (info.kind === 'grantless')) {
      throw new SpError(403, 'Unauthorized', 'Access to requested resource is denied.', op.grantless ? 'This operation requires a grantless token.' : 'Grantless tokens cannot call this operation.');
    }
    return info;
  }

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    let path = url.pathname;
    const record = (operation: string, status: number) => requests.push({ operation, method, path: url.pathname, status, at: clock() });
    advanceFeeds();

    if (path === '/auth/o2/token' && method === 'POST') {
      const raw = (await readBody(req)).toString('utf8');
      const ctype = String(req.headers['content-type'] ?? '');
      let form: URLSearchParams;
      if (ctype.includes('application/json')) {
        try {
          form = new URLSearchParams(JSON.parse(raw) as Record<string, string>);
        } catch {
          form = new URLSearchParams();
        }
      } else form = new URLSearchParams(raw);
      // Faults reach the token endpoint only when a rule names it ('lwaToken').
      const fault = rules.some((r) => r.operation === 'lwaToken') ? takeFault(['timeout', 'throttle', 'error500', 'error503', 'malformed'], 'lwaToken') : null;
      if (fault === 'timeout') {
        record('lwaToken', 0);
        hung.add(res);
        return;
      }
      if (fault && fault !== 'malformed') {
        const status = fault === 'throttle' ? 429 : fault === 'error500' ? 500 : 503;
        record('lwaToken', status);
        send(res, { status, body: { error: fault === 'throttle' ? 'slow_down' : 'server_error', error_description: 'The authorization server is temporarily unable to handle the request' } });
        return;
      }
      const a = lwaToken(form);
      record('lwaToken', a.status);
      if (fault === 'malformed') {
        send(res, { ...a, headers: { 'cache-control': 'no-store' } }, true);
        return;
      }
      send(res, { ...a, headers: { 'cache-control': 'no-store' } });
      return;
    }

    if (path.startsWith('/_sim/s3/')) {
      const rel = path.slice('/_sim/s3/'.length);
      if (!presignOk(path, url.searchParams)) {
        record('document', 403);
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>');
        return;
      }
      if (rel.startsWith('feed-documents/')) {
        const id = decodeURIComponent(rel.slice('feed-documents/'.length));
        const d = state.feedDocuments.get(id);
        if (!d) {
          record('document', 404);
          res.writeHead(404, { 'content-type': 'application/xml' });
          res.end('<Error><Code>NoSuchKey</Code></Error>');
          return;
        }
        if (method === 'PUT') {
          const ctype = String(req.headers['content-type'] ?? '');
          const bytes = await readBody(req);
          if (ctype.split(';')[0]?.trim().toLowerCase() !== d.contentType.split(';')[0]?.trim().toLowerCase()) {
            record('documentUpload', 403);
            res.writeHead(403, { 'content-type': 'application/xml' });
            res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The Content-Type does not match the one the upload URL was created for</Message></Error>');
            return;
          }
          d.content = bytes;
          record('documentUpload', 200);
          res.writeHead(200, { etag: `"${createHash('md5').update(bytes).digest('hex')}"` });
          res.end();
          return;
        }
        record('documentDownload', d.content ? 200 : 404);
        res.writeHead(d.content ? 200 : 404, { 'content-type': d.compression ? 'application/octet-stream' : d.contentType });
        res.end(d.content ?? '');
        return;
      }
      const m = /^ptd\/(\w+)\/(\w+)\/(\d+)\.json$/.exec(rel);
      if (m && isProductType(m[1] as string)) {
        record('document', 200);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(ptdDocument(m[1] as (typeof PRODUCT_TYPES)[number], m[2] as Requirements, Number(m[3])).text);
        return;
      }
      if (rel === 'ptd/meta-schema.json') {
        record('document', 200);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', $id: META_SCHEMA_ID, $comment: 'Simulated product type meta-schema: draft-07 plus Amazon vocabulary', allOf: [{ $ref: 'http://json-schema.org/draft-07/schema#' }] }));
        return;
      }
      record('document', 404);
      res.writeHead(404);
      res.end();
      return;
    }

    let sandbox = options.sandbox ?? false;
    if (path.startsWith('/sandbox/')) {
      sandbox = true;
      path = path.slice('/sandbox'.length);
    }
    const found = models.match(method, path);
    if (!found) {
      record('unknown', 404);
      send(res, { status: 404, body: errors('NotFound', 'Resource not found.', `${method} ${path} is not an operation the simulator serves.`) });
      return;
    }
    const { op, pathParams } = found;
    const rate = rateOf(op);
    const rlHeader: Record<string, string> = rate !== undefined ? { 'x-amzn-RateLimit-Limit': String(Number(rate.toPrecision(6))) } : {};
    const finish = (a: Answer, malformed = false) => {
      const problems = models.check(op.operationId, a.status, a.body);
      for (const p of problems) violations.push(p);
      record(op.operationId, a.status);
      send(res, { ...a, headers: { ...rlHeader, ...(a.headers ?? {}) } }, malformed);
    };

    const rawBody = await readBody(req);
    try {
      const token = authOf(req, op);
      let body: unknown;
      if (op.bodyPointer) {
        try {
          body = rawBody.length ? JSON.parse(rawBody.toString('utf8')) : undefined;
        } catch {
          throw new SpError(400, 'InvalidInput', 'The request body is not valid JSON.');
        }
      }
      if (sandbox) {
        finish(sandboxAnswer(op, pathParams, url.searchParams, body));
        return;
      }
      const rule = takeRule(['timeout', 'throttle', 'error500', 'error503', 'malformed', 'drop_after_effect', 'slow_after_effect'], op.operationId);
      const fault = rule?.kind ?? null;
      if (fault === 'timeout') {
        record(op.operationId, 0);
        hung.add(res);
        const t = setTimeout(() => {
          timers.delete(t);
          hung.delete(res);
          res.destroy();
        }, 60_000);
        t.unref();
        timers.add(t);
        return;
      }
      if (fault === 'throttle' || !take(op)) {
        finish({ status: 429, body: errors('QuotaExceeded', 'You exceeded your quota for the requested resource.') });
        return;
      }
      if (fault === 'error500') {
        finish({ status: 500, body: errors('InternalFailure', 'We encountered an internal error. Please try again.') });
        return;
      }
      if (fault === 'error503') {
        finish({ status: 503, body: errors('ServiceUnavailable', 'Service temporarily unavailable. Please try again.') });
        return;
      }
      if (op.bodyPointer) {
        const ctype = String(req.headers['content-type'] ?? 'application/json').toLowerCase();
        if (!ctype.includes('json')) {
          throw new SpError(op.responses.has(415) ? 415 : 400, 'UnsupportedMediaType', `Content-Type ${ctype} is not supported; send application/json.`);
        }
        if (body === undefined) throw new SpError(400, 'InvalidInput', 'The request body is missing.');
        const problems = models.checkBody(op.operationId, body);
        if (problems.length) throw new SpError(400, 'InvalidInput', 'Invalid Input', problems.join('; '));
      }
      const q = parseParams(op, pathParams, url.searchParams);
      const handler = handlers[op.operationId];
      if (!handler) throw new SpError(404, 'NotFound', `${op.operationId} is not simulated.`);
      const answer = handler({ op, path: pathParams, q, body, token });
      if (fault === 'drop_after_effect') {
        record(op.operationId, 0);
        res.destroy();
        return;
      }
      if (fault === 'slow_after_effect') {
        // Applied already; the answer is held back (a client that is gone by then never sees it).
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, rule?.ms ?? 0);
          timers.add(t);
        });
        if (res.destroyed) {
          record(op.operationId, 0);
          return;
        }
      }
      finish(answer, fault === 'malformed');
    } catch (e) {
      if (e instanceof SpError) {
        finish({ status: e.status, body: errors(e.code, e.message, e.details) });
        return;
      }
      finish({ status: 500, body: errors('InternalFailure', e instanceof Error ? e.message : String(e)) });
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(errors('InternalFailure', String(e))));
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const faults: AmazonSimFaults = {
    storm429: (n, operation) => void rules.push({ kind: 'throttle', left: n, ...(operation ? { operation } : {}) }),
    failNext: (status, n, operation) => void rules.push({ kind: status === 500 ? 'error500' : 'error503', left: n, ...(operation ? { operation } : {}) }),
    timeoutNext: (n, operation) => void rules.push({ kind: 'timeout', left: n, ...(operation ? { operation } : {}) }),
    malformedNext: (n, operation) => void rules.push({ kind: 'malformed', left: n, ...(operation ? { operation } : {}) }),
    failAfterEffectNext: (n, operation) => void rules.push({ kind: 'drop_after_effect', left: n, ...(operation ? { operation } : {}) }),
    slowAfterEffectNext: (n, ms, operation) => void rules.push({ kind: 'slow_after_effect', left: n, ms, ...(operation ? { operation } : {}) }),
    expireTokens: () => {
      lwa.generation++;
    },
    expireClientSecret: (on) => {
      lwa.secretExpired = on;
    },
    revokeRefreshToken: () => {
      lwa.refreshRevoked = true;
    },
    clear: () => {
      rules = [];
      lwa.secretExpired = false;
      lwa.refreshRevoked = false;
    },
  };

  return {
    url: base,
    lwaUrl: `${base}/auth/o2/token`,
    sandboxUrl: `${base}/sandbox`,
    credentials,
    authorizationCode,
    sellerId,
    marketplaceIds,
    state,
    faults,
    requests,
    requestCount: () => requests.filter((r) => r.operation !== 'lwaToken').length,
    violations,
    tokensIssued: () => lwa.issued,
    usagePlan: (operationId) => {
      const op = models.operations.get(operationId);
      return op?.rate === undefined || op.burst === undefined ? undefined : { rate: op.rate * timeScale, burst: op.burst };
    },
    resetRateLimits: () => buckets.clear(),
    advanceFeeds,
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const r of hung) r.destroy();
      hung.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type { SpModels };
