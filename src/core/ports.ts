// Ports: what the core needs from the outside world. Adapters implement ChannelAdapter; the store and
// the job engine implement the rest. Nothing here knows a channel's name.
import type { Logger } from 'pino';
import type { z } from 'zod';
import { inventoryLevelId, parseInventoryLevelId } from './model/inventory.ts';
import type { CategoryInput, CustomerInput, InventoryLevelInput, Money, OrderInput, ProductInput, ShipmentInput } from './model/index.ts';

/** What a channel can do. Flows ask for a capability, never for a channel name. */
/**
 * The external id of a stock level, `sku@location`, made and read in one place: adapters use these for
 * the inventory records they pull and the ids `fetch('inventory', id)` takes (defined in the model).
 */
export { inventoryLevelId, parseInventoryLevelId };

export const CAPABILITIES = [
  'products.read',
  'products.write',
  'inventory.read',
  'inventory.write',
  'orders.read',
  'orders.write',
  'shipments.read',
  'shipments.write',
  'customers.read',
  'categories.read',
  'listings.read',
  'listings.write',
  'listings.feed',
  'orders.cancel',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface CapabilityManifest {
  channel: string;
  /** Human-readable name, e.g. "Magento 2". */
  displayName: string;
  capabilities: readonly Capability[];
}

/** The entities a connection syncs. */
export const ENTITIES = ['products', 'inventory', 'orders', 'shipments', 'customers', 'categories'] as const;
export type Entity = (typeof ENTITIES)[number];

/** The capability a channel declares to be pulled for an entity. */
export const READ_CAPABILITY: Record<Entity, Capability> = {
  products: 'products.read',
  inventory: 'inventory.read',
  orders: 'orders.read',
  shipments: 'shipments.read',
  customers: 'customers.read',
  categories: 'categories.read',
};

/** The canonical input each entity's records normalize to. */
export interface NormalizedByEntity {
  products: ProductInput;
  inventory: InventoryLevelInput;
  orders: OrderInput;
  shipments: ShipmentInput;
  customers: CustomerInput;
  categories: CategoryInput;
}

/** A token-bucket rate: `ratePerSec` tokens a second, at most `burst` saved up. */
export interface RateSpec {
  ratePerSec: number;
  burst: number;
}

/**
 * Upstream call budgets, per (upstream account, operation) key. Adapters ask before each call, so
 * limits are honoured up front rather than discovered by 429s.
 * @example
 * await throttle.acquire(`amazon:${sellerId}:getOrder`, { ratePerSec: 0.5, burst: 30 });
 * // a cost-based upstream: the call's cost in tokens, then what it really cost and what is left
 * await throttle.acquire(`shopify:${shop}:graphql`, { ratePerSec: 100, burst: 2000 }, { tokens: 82 });
 * await throttle.refund(`shopify:${shop}:graphql`, 82 - 29);
 * await throttle.learn(`shopify:${shop}:graphql`, { available: 1971 });
 */
export interface Throttle {
  /**
   * Waits for one token of `key`'s bucket (created from `spec` on first use). When the wait would be
   * longer than `maxWaitMs`, takes nothing and throws AppError('throttled') with `retryAfterMs`, so a job
   * can give its worker slot back instead of sleeping.
   */
  acquire(key: string, spec: RateSpec, options?: AcquireOptions): Promise<void>;
  /**
   * The upstream told us its real rate (e.g. a rate-limit header): adopt it. `available` is what a
   * cost-based upstream reports left in its bucket now (Shopify does with every answer): the bucket
   * never holds more than that afterwards.
   */
  learn(key: string, spec: RateObservation): Promise<void>;
  /** The upstream answered 429: spend the bucket and hold it for `retryAfterMs`. */
  penalize(key: string, retryAfterMs: number): Promise<void>;
  /**
   * A call cost less than it took up front (Shopify charges the requested cost and refunds the unused
   * part): give `tokens` back, never above the burst. A key never used is left alone.
   */
  refund(key: string, tokens: number): Promise<void>;
}

/** How one acquisition asks for its slot. */
export interface AcquireOptions {
  /** Longer waits throw AppError('throttled') with `retryAfterMs` instead (default: no limit). */
  maxWaitMs?: number;
  /**
   * What the call costs in the bucket's tokens (default 1): a GraphQL query's requested cost, for an
   * upstream that budgets cost rather than calls. More than the burst is refused (it could never be sent).
   */
  tokens?: number;
}

/** What an upstream reported about its budget: rate and size, and for cost-based upstreams what is left now. */
export interface RateObservation extends Partial<RateSpec> {
  available?: number;
}

/** A Throttle that holds connections or timers of its own and must be closed at shutdown. */
export interface ClosableThrottle extends Throttle {
  close(): Promise<void>;
}

/** Everything an adapter instance gets to know about the connection it serves. */
export interface AdapterContext<S, C> {
  connectionId: string;
  tenantId: string;
  settings: S;
  credentials: C;
  /** Whether loopback and private addresses may be reached (tests, demo). */
  allowPrivateUpstreams: boolean;
  /** Shared call budgets; present whenever the adapter runs inside the sync engine. */
  throttle?: Throttle;
  /** Structured logger bound to tenant and connection ids. */
  log?: Logger;
  /** Adapters report every upstream call here (metrics: calls and 429s per operation). */
  onUpstreamCall?: (call: UpstreamCall) => void;
}

export interface UpstreamCall {
  /** The upstream operation, as the adapter names it (an operation id, or a method and path template). */
  operation: string;
  /** HTTP status, or null when no answer came (timeout, reset). */
  status: number | null;
  durationMs: number;
  /** The upstream's request id, when it sends one. */
  requestId?: string | null;
}

/** The time window of an incremental pull, on the upstream's updated-at clock. */
export interface PullWindow {
  /** Records updated at or after this instant; null means from the beginning (a full pull). */
  from: string | null;
  /** Records updated before this instant: now minus the upstream's safety lag. */
  to: string;
}

export interface PullRequest {
  window: PullWindow;
  /** The `next` of the previous page of this run, or null for the first page. */
  cursor: string | null;
  /** A full pass (deletion detection follows when the run completes). */
  full: boolean;
}

/** One upstream record as received, before normalization. */
export interface RawRecord {
  external_id: string;
  /** The record's upstream updated-at, when the platform has one. */
  updated_at: string | null;
  payload: unknown;
}

export interface PullPage {
  records: RawRecord[];
  /** Where the next page starts; null when the run has seen everything in its window. */
  next: string | null;
}

/** Every upstream write carries the key of the business action it performs. */
export interface WriteContext {
  /** Stable for the action, e.g. `confirm-shipment:shp_…`: a retried write must not act twice. */
  idempotencyKey: string;
}

export interface WriteResult {
  /** The upstream id of what was created or changed, when there is one. */
  external_id?: string | null;
  /** Anything else worth keeping as the operation's result. */
  data?: Record<string, unknown>;
}

export interface SetStockInput {
  sku: string;
  quantity: number;
  location_id?: string | null;
}
export interface UpdateProductInput {
  external_id?: string | null;
  sku: string;
  fields: { title?: string; description?: string | null; status?: string; attributes?: Record<string, unknown> };
}
export interface UpdatePriceInput {
  sku: string;
  price: Money;
  sale_price?: Money | null;
  marketplace_id?: string | null;
}
export interface CreateShipmentInput {
  order_external_id: string;
  lines: { external_line_id?: string | null; sku: string; quantity: number }[];
  carrier?: string | null;
  service?: string | null;
  tracking_number?: string | null;
  tracking_url?: string | null;
  shipped_at?: string | null;
}
export interface CancelOrderInput {
  order_external_id: string;
  reason?: string | null;
}

/**
 * A marketplace listing to create or replace, in canonical terms: its content, identifier and variation
 * family as fields, plus `attributes` in the target's own names (what the merchant's mapping profile
 * targets, and variation option values). Flows build these from canonical products and a mapping
 * profile; each target adapter turns the fields into its own vocabulary (its own attribute names for
 * title, identifier, variation family), an attribute of the same name given explicitly winning over a field.
 * Adapters never see the source channel.
 * @example
 * { sku: 'TEE-RED-M', marketplace_id: 'MP-1', product_type: 'SHIRT', title: 'Tee, red, M',
 *   identifier: { type: 'ean', value: '4006381333931' }, variation: { role: 'child', attributes: ['size', 'color'], theme: null, parent_sku: 'TEE' },
 *   attributes: { size: 'M', color: 'Red', brand: 'Acme' } }
 */
export interface ListingInput {
  sku: string;
  marketplace_id?: string | null;
  product_type: string;
  /** The title the profile's content rules chose. */
  title?: string;
  description?: string | null;
  /** The main image. */
  image_url?: string | null;
  /** The product identifier the profile's identifier rules matched (type: ean, upc, gtin, isbn, ...). */
  identifier?: { type: string; value: string } | null;
  /** No identifier: the listing claims the target's exemption for products without one. */
  identifier_exempt?: boolean;
  /**
   * A member of a variation family: the parent, or a child naming its parent. `attributes` are the varying
   * options under the target's attribute names, in the product's order; `theme` is the profile's own name
   * for the combination, when it gives one (else the adapter names it from the attributes).
   */
  variation?: { role: 'parent' | 'child'; attributes: string[]; theme?: string | null; parent_sku?: string } | null;
  attributes: Record<string, unknown>;
  /** Only an offer on an existing catalog item (matched by identifier), no catalog data. */
  offer_only?: boolean;
}

/** The canonical fields of a listing an adapter may name as the origin of an attribute it reports on. */
export type ListingField = 'title' | 'description' | 'image_url' | 'identifier' | 'variation' | 'variation.theme';

/** A problem the upstream (or the adapter's own validation) reports for one item of a write. */
export interface ItemIssue {
  sku: string;
  code: string;
  message: string;
  severity: 'error' | 'warning';
  /** The attribute the issue is about, when the upstream says. */
  attribute?: string | null;
  /** The canonical listing field the attribute was made from, when the adapter made it from one. */
  field?: ListingField | null;
  /** The mapping profile rule behind the attribute (e.g. `attributes[2]`, `identifiers`), when the flows know it. */
  rule?: string | null;
}

/** The outcome of a write over many items: which went through, and what was said about the rest. */
export interface BulkResult {
  /** SKUs accepted without an error. */
  accepted: string[];
  issues: ItemIssue[];
  /** The upstream's id for the bulk action (e.g. a feed id), when there is one. */
  external_id?: string | null;
}

export interface OrderCommentInput {
  order_external_id: string;
  comment: string;
  notify_customer?: boolean;
}

/** A store view (Magento) or marketplace: a scope that can supply its own titles, prices and currency. */
export interface ChannelScope {
  code: string;
  name: string;
  /** The group it belongs to (Magento website code), when the channel has one. */
  parent_code?: string | null;
  currency?: string | null;
  locale?: string | null;
}

/** A catalog item found by identifier (EAN/UPC/GTIN/ISBN/ASIN) on a marketplace. */
export interface CatalogMatch {
  external_id: string;
  title?: string | null;
  product_type?: string | null;
  marketplace_id?: string | null;
}

/** The upstream writes a channel may support; each maps to a capability. */
export interface ChannelWrites {
  setStock?(input: SetStockInput, ctx: WriteContext): Promise<WriteResult>;
  updateProduct?(input: UpdateProductInput, ctx: WriteContext): Promise<WriteResult>;
  updatePrice?(input: UpdatePriceInput, ctx: WriteContext): Promise<WriteResult>;
  createOrder?(input: OrderInput, ctx: WriteContext): Promise<WriteResult>;
  createShipment?(input: CreateShipmentInput, ctx: WriteContext): Promise<WriteResult>;
  cancelOrder?(input: CancelOrderInput, ctx: WriteContext): Promise<WriteResult>;
  addOrderComment?(input: OrderCommentInput, ctx: WriteContext): Promise<WriteResult>;
  /** Creates or replaces listings; the adapter picks single updates or a bulk feed by the size of the change. */
  publishListings?(inputs: ListingInput[], ctx: WriteContext): Promise<BulkResult>;
  /** Many stock levels in one go (a feed where the channel has one, else batched single writes). */
  setStockBulk?(inputs: SetStockInput[], ctx: WriteContext): Promise<BulkResult>;
  /** Many prices in one go, like setStockBulk. */
  updatePriceBulk?(inputs: UpdatePriceInput[], ctx: WriteContext): Promise<BulkResult>;
}

/**
 * One connection's live access to its upstream. Errors are AppErrors: `throttled` (with retryAfterMs),
 * `upstream_unavailable` (transient), `validation`/`upstream_rejected` (permanent), `auth_failed`.
 */
export interface ChannelAdapter {
  /** Proves the credentials and settings work. */
  testConnection(): Promise<void>;
  /** One page of an incremental read of `entity`. */
  pull?(entity: Entity, request: PullRequest): Promise<PullPage>;
  /** Upstream payload to canonical input; throws (AppError validation) for a record it cannot read. */
  normalize?<E extends Entity>(entity: E, record: RawRecord): NormalizedByEntity[E];
  writes?: ChannelWrites;
  /** A fresh read of one record by its upstream id (notifications, flows); null when it does not exist. */
  fetch?(entity: Entity, externalId: string): Promise<RawRecord | null>;
  /** The scopes (store views, marketplaces) the connection can read and write. */
  listScopes?(): Promise<ChannelScope[]>;
  /** Checks a listing against the target's own rules (e.g. a product type schema) before anything is sent. */
  validateListing?(input: ListingInput): Promise<ItemIssue[]>;
  /** Finds catalog items by identifier, to match a product to an existing marketplace item. */
  lookupCatalog?(identifier: { type: 'EAN' | 'UPC' | 'GTIN' | 'ISBN' | 'ASIN' | 'JAN'; value: string }, marketplaceId?: string | null): Promise<CatalogMatch[]>;
  /** Reads a push notification from the upstream (as its forwarder posts it); null when it is not one this connection acts on. */
  parseNotification?(body: unknown): ParsedNotification | null;
}

/**
 * What a notification asks for: the records to read again, and the key that makes a redelivery a no-op.
 * @example { dedupeKey: '8d9f…', fetch: [{ entity: 'orders', externalId: '902-3159896-1390916' }] }
 */
export interface ParsedNotification {
  dedupeKey: string;
  fetch: { entity: Entity; externalId: string }[];
}

/** How a channel wants to be pulled. */
export interface SyncProfile {
  /** How far behind now the upstream's updated-at may still change (Amazon: two minutes). */
  safetyLagMs: number;
  /** How far back each incremental pull re-reads, against clock skew and late writes. */
  overlapMs: number;
  /** Default seconds between pulls, per entity it can read. */
  intervalsSec: Partial<Record<Entity, number>>;
  /** Whether a full pass may mark records that disappeared upstream as deleted. */
  detectsDeletions: Partial<Record<Entity, boolean>>;
}

/**
 * A channel's entry in the adapter registry.
 * @example
 * export const shopify: AdapterFactory<ShopifySettings, ShopifyCredentials> = {
 *   manifest: { channel: 'shopify', displayName: 'Shopify', capabilities: ['orders.read'] },
 *   settingsSchema, credentialsSchema,
 *   create: (ctx) => new ShopifyAdapter(ctx),
 * };
 */
export interface AdapterFactory<S = unknown, C = unknown> {
  manifest: CapabilityManifest;
  /** Pull timing; the engine's defaults apply where absent. */
  sync?: Partial<SyncProfile>;
  settingsSchema: z.ZodType<S>;
  credentialsSchema: z.ZodType<C>;
  create(ctx: AdapterContext<S, C>): ChannelAdapter;
}

/** Encrypts and decrypts connection credentials at rest. */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}
