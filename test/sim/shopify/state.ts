// State of the Shopify simulator: the shop, locations, products with variants and their inventory items,
// inventory levels per location (named quantities: available, on_hand, committed, ...), customers,
// collections, orders with lines, shipping and tax lines, fulfillment orders (remaining quantities) and
// fulfillments, webhook subscriptions, bulk operations and jobs. Money is kept as integer minor units and
// rendered as decimal strings, as Shopify's MoneyV2.amount (Decimal) is. Seeded deterministically.
import { prng } from '../scripted/faults.ts';

export type Gid = string;
export const gid = (type: string, id: number): Gid => `gid://shopify/${type}/${id}`;
/** The numeric id of a gid of `type`, or null when it is not one. */
export function parseGid(value: unknown, type: string): number | null {
  if (typeof value !== 'string') return null;
  const m = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(\?.*)?$/.exec(value);
  return m && m[1] === type ? Number(m[2]) : null;
}
export function gidType(value: string): string | null {
  return /^gid:\/\/shopify\/([A-Za-z]+)\/\d+/.exec(value)?.[1] ?? null;
}

/** "19.99" from 1999 (two decimals: the simulated shop's currencies all have cents). */
export const money = (cents: number): string => {
  const sign = cents < 0 ? '-' : '';
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
};
/** 1999 from "19.99" / "19.9" / "19"; null when not a decimal with at most two places. */
export function cents(value: unknown): number | null {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string' || !/^-?\d+(\.\d{1,2})?$/.test(s.trim())) return null;
  const [i, f = ''] = s.trim().replace('-', '').split('.');
  const v = Number(i) * 100 + Number(f.padEnd(2, '0'));
  return s.trim().startsWith('-') ? -v : v;
}

/** Records searchable by `updated_at` carry the value the search index holds, which trails the record. */
export interface Indexed {
  updatedAt: number;
  /** what `query: "updated_at:…"` sees (null: not indexed yet) */
  indexedUpdatedAt: number | null;
  pendingIndex: { visibleAt: number; updatedAt: number } | null;
}

export interface Location {
  id: number;
  name: string;
  isActive: boolean;
}
export interface Product extends Indexed {
  id: number;
  title: string;
  handle: string;
  descriptionHtml: string;
  vendor: string;
  productType: string;
  status: 'ACTIVE' | 'DRAFT' | 'ARCHIVED';
  tags: string[];
  createdAt: number;
  options: { id: number; name: string; values: string[] }[];
  variantIds: number[];
  collectionIds: number[];
}
export interface Variant {
  id: number;
  productId: number;
  sku: string;
  title: string;
  price: number;
  compareAtPrice: number | null;
  barcode: string | null;
  selectedOptions: { name: string; value: string }[];
  inventoryItemId: number;
  position: number;
  createdAt: number;
  updatedAt: number;
}
export type QuantityName = 'available' | 'on_hand' | 'committed' | 'incoming' | 'reserved' | 'damaged' | 'safety_stock' | 'quality_control';
export const QUANTITY_NAMES: QuantityName[] = ['available', 'on_hand', 'committed', 'incoming', 'reserved', 'damaged', 'safety_stock', 'quality_control'];
export interface Level {
  id: number;
  locationId: number;
  quantities: Record<QuantityName, number>;
  updatedAt: number;
}
export interface InventoryItem {
  id: number;
  variantId: number;
  sku: string;
  tracked: boolean;
  createdAt: number;
  updatedAt: number;
  levels: Map<number, Level>;
}
export interface Customer extends Indexed {
  id: number;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  createdAt: number;
}
export interface Collection extends Indexed {
  id: number;
  title: string;
  handle: string;
  productIds: number[];
}
export interface TaxLine {
  title: string;
  rate: number; // e.g. 0.0725
  price: number; // cents
}
export interface LineItem {
  id: number;
  variantId: number | null;
  sku: string | null;
  title: string;
  quantity: number;
  unitPrice: number;
  discount: number; // total allocated discount, cents
  taxLines: TaxLine[];
}
export interface ShippingLine {
  id: number;
  title: string;
  code: string | null;
  price: number;
  taxLines: TaxLine[];
}
export interface Address {
  firstName: string;
  lastName: string;
  address1: string;
  city: string;
  zip: string;
  countryCode: string;
  provinceCode: string | null;
  phone: string | null;
}
export interface Order extends Indexed {
  id: number;
  name: string;
  email: string | null;
  createdAt: number;
  processedAt: number;
  cancelledAt: number | null;
  cancelReason: string | null;
  closedAt: number | null;
  currency: string;
  financialStatus: 'PAID' | 'PENDING' | 'AUTHORIZED' | 'REFUNDED' | 'VOIDED' | 'PARTIALLY_PAID';
  customerId: number | null;
  lines: LineItem[];
  shippingLines: ShippingLine[];
  shippingAddress: Address | null;
  discountCodes: string[];
  taxesIncluded: boolean;
  note: string | null;
  tags: string[];
  sourceIdentifier: string | null;
  sourceName: string;
  fulfillmentOrderIds: number[];
  fulfillmentIds: number[];
}
export interface FulfillmentOrderLine {
  id: number;
  lineItemId: number;
  totalQuantity: number;
  remainingQuantity: number;
}
export interface FulfillmentOrder {
  id: number;
  orderId: number;
  locationId: number;
  status: 'OPEN' | 'IN_PROGRESS' | 'CLOSED' | 'CANCELLED';
  createdAt: number;
  updatedAt: number;
  lines: FulfillmentOrderLine[];
}
export interface Fulfillment {
  id: number;
  orderId: number;
  name: string;
  status: 'SUCCESS' | 'CANCELLED';
  createdAt: number;
  updatedAt: number;
  tracking: { company: string | null; number: string | null; url: string | null }[];
  lines: { id: number; lineItemId: number; quantity: number }[];
}
export interface WebhookSubscription {
  id: number;
  topic: string;
  uri: string;
  format: 'JSON';
  createdAt: number;
  /** the app that created it (its client secret signs the deliveries) */
  appId: string;
}
export interface BulkOperation {
  id: number;
  appId: string;
  query: string;
  status: 'CREATED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELED';
  createdAt: number;
  completedAt: number | null;
  objectCount: number;
  rootObjectCount: number;
  fileSize: number | null;
  url: string | null;
  errorCode: string | null;
}
export interface Job {
  id: number;
  done: boolean;
}

export interface SeedOptions {
  products?: number;
  /** variants per product: 1..this (default 3) */
  maxVariants?: number;
  orders?: number;
  customers?: number;
  collections?: number;
  locations?: number;
  seed?: number;
}

export class ShopifyState {
  shop = { id: 1, name: 'Switchyard Sim', email: 'owner@sim.example', myshopifyDomain: 'switchyard-sim.myshopify.com', currencyCode: 'USD', ianaTimezone: 'UTC', plan: 'Basic' as string, plusPlan: false };
  locations = new Map<number, Location>();
  products = new Map<number, Product>();
  variants = new Map<number, Variant>();
  inventoryItems = new Map<number, InventoryItem>();
  customers = new Map<number, Customer>();
  collections = new Map<number, Collection>();
  orders = new Map<number, Order>();
  fulfillmentOrders = new Map<number, FulfillmentOrder>();
  fulfillments = new Map<number, Fulfillment>();
  webhooks = new Map<number, WebhookSubscription>();
  bulkOperations = new Map<number, BulkOperation>();
  jobs = new Map<number, Job>();
  /** JSONL files of finished bulk operations, by path */
  bulkFiles = new Map<string, string>();
  /** how long the search index trails writes (`query:` filters on updated_at) */
  searchLagMs = 0;
  #next = 1000;

  constructor(readonly clock: () => number = Date.now) {}

  nextId(): number {
    return ++this.#next;
  }

  /** Marks a searchable record changed now: its `updatedAt` moves at once, the index's copy after the lag. */
  touch(rec: Indexed, at = this.clock()): void {
    rec.updatedAt = at;
    if (this.searchLagMs <= 0) {
      rec.indexedUpdatedAt = at;
      rec.pendingIndex = null;
    } else rec.pendingIndex = { visibleAt: at + this.searchLagMs, updatedAt: at };
  }

  /** A record created while the index lags is not found by filters until the index has it. */
  #unindexed(rec: Indexed, at: number): void {
    if (this.searchLagMs <= 0) return;
    rec.indexedUpdatedAt = null;
    this.touch(rec, at);
  }

  /** The `updated_at` the search index holds now. */
  indexedUpdatedAt(rec: Indexed): number | null {
    const p = rec.pendingIndex;
    if (p && this.clock() >= p.visibleAt) {
      rec.indexedUpdatedAt = p.updatedAt;
      rec.pendingIndex = null;
    }
    return rec.indexedUpdatedAt;
  }

  indexed(at: number): Indexed {
    return { updatedAt: at, indexedUpdatedAt: at, pendingIndex: null };
  }

  addLocation(name: string): Location {
    const l = { id: this.nextId(), name, isActive: true };
    this.locations.set(l.id, l);
    for (const item of this.inventoryItems.values()) this.level(item, l.id);
    return l;
  }

  /** The level of an item at a location, created (all zero) when the item is first stocked there. */
  level(item: InventoryItem, locationId: number): Level {
    let lv = item.levels.get(locationId);
    if (!lv) {
      const quantities = Object.fromEntries(QUANTITY_NAMES.map((n) => [n, 0])) as Record<QuantityName, number>;
      lv = { id: this.nextId(), locationId, quantities, updatedAt: this.clock() };
      item.levels.set(locationId, lv);
    }
    return lv;
  }

  /** Sets one named quantity; `available` and `on_hand` move together as in Shopify (on_hand = available + committed + unavailable). */
  setQuantity(item: InventoryItem, locationId: number, name: 'available' | 'on_hand', value: number): { before: number; after: number } {
    const lv = this.level(item, locationId);
    const q = lv.quantities;
    const before = q[name];
    const delta = value - before;
    q.available += delta;
    q.on_hand += delta;
    lv.updatedAt = this.clock();
    item.updatedAt = lv.updatedAt;
    return { before, after: q[name] };
  }

  addProduct(p: { title: string; vendor?: string; productType?: string; status?: Product['status']; tags?: string[]; variants: { sku: string; price: number; options?: Record<string, string>; barcode?: string | null; stock?: Record<number, number> }[] }, at = this.clock()): Product {
    const id = this.nextId();
    const optionNames = [...new Set(p.variants.flatMap((v) => Object.keys(v.options ?? {})))];
    const product: Product = {
      id,
      title: p.title,
      handle: p.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') + `-${id}`,
      descriptionHtml: `<p>${p.title}</p>`,
      vendor: p.vendor ?? 'Switchyard Sim',
      productType: p.productType ?? 'Apparel',
      status: p.status ?? 'ACTIVE',
      tags: p.tags ?? [],
      createdAt: at,
      ...this.indexed(at),
      options: optionNames.length
        ? optionNames.map((name) => ({ id: this.nextId(), name, values: [...new Set(p.variants.map((v) => v.options?.[name] ?? ''))] }))
        : [{ id: this.nextId(), name: 'Title', values: ['Default Title'] }],
      variantIds: [],
      collectionIds: [],
    };
    this.products.set(id, product);
    this.#unindexed(product, at);
    p.variants.forEach((v, i) => {
      const vid = this.nextId();
      const itemId = this.nextId();
      const selected = optionNames.length ? optionNames.map((name) => ({ name, value: v.options?.[name] ?? '' })) : [{ name: 'Title', value: 'Default Title' }];
      this.variants.set(vid, {
        id: vid,
        productId: id,
        sku: v.sku,
        title: optionNames.length ? selected.map((s) => s.value).join(' / ') : 'Default Title',
        price: v.price,
        compareAtPrice: null,
        barcode: v.barcode ?? null,
        selectedOptions: selected,
        inventoryItemId: itemId,
        position: i + 1,
        createdAt: at,
        updatedAt: at,
      });
      const item: InventoryItem = { id: itemId, variantId: vid, sku: v.sku, tracked: true, createdAt: at, updatedAt: at, levels: new Map() };
      this.inventoryItems.set(itemId, item);
      for (const loc of this.locations.values()) {
        const lv = this.level(item, loc.id);
        const n = v.stock?.[loc.id] ?? 0;
        lv.quantities.available = n;
        lv.quantities.on_hand = n;
        lv.updatedAt = at;
      }
      product.variantIds.push(vid);
    });
    return product;
  }

  variantBySku(sku: string): Variant | undefined {
    for (const v of this.variants.values()) if (v.sku === sku) return v;
    return undefined;
  }

  /**
   * An order as checkout (or orderCreate) makes it: lines with their taxes, shipping, one fulfillment order per
   * order at the first location, and the ordered quantities committed there (available down, committed up).
   */
  addOrder(o: {
    lines: { variantId?: number; sku?: string; title?: string; quantity: number; unitPrice: number; discount?: number; taxLines?: TaxLine[] }[];
    shippingLines?: { title: string; code?: string; price: number; taxLines?: TaxLine[] }[];
    email?: string | null;
    customerId?: number | null;
    currency?: string;
    financialStatus?: Order['financialStatus'];
    shippingAddress?: Address | null;
    processedAt?: number;
    sourceIdentifier?: string | null;
    sourceName?: string;
    note?: string | null;
    tags?: string[];
    taxesIncluded?: boolean;
    commit?: boolean;
  }, at = this.clock()): Order {
    const id = this.nextId();
    const order: Order = {
      id,
      name: `#${1000 + this.orders.size + 1}`,
      email: o.email ?? null,
      createdAt: at,
      processedAt: o.processedAt ?? at,
      ...this.indexed(at),
      cancelledAt: null,
      cancelReason: null,
      closedAt: null,
      currency: o.currency ?? this.shop.currencyCode,
      financialStatus: o.financialStatus ?? 'PAID',
      customerId: o.customerId ?? null,
      lines: o.lines.map((l) => {
        const v = l.variantId != null ? this.variants.get(l.variantId) : l.sku ? this.variantBySku(l.sku) : undefined;
        const title = l.title ?? (v ? this.products.get(v.productId)?.title ?? v.sku : l.sku ?? 'Custom item');
        return { id: this.nextId(), variantId: v?.id ?? null, sku: v?.sku ?? l.sku ?? null, title, quantity: l.quantity, unitPrice: l.unitPrice, discount: l.discount ?? 0, taxLines: l.taxLines ?? [] };
      }),
      shippingLines: (o.shippingLines ?? []).map((s) => ({ id: this.nextId(), title: s.title, code: s.code ?? null, price: s.price, taxLines: s.taxLines ?? [] })),
      shippingAddress: o.shippingAddress ?? null,
      discountCodes: [],
      taxesIncluded: o.taxesIncluded ?? false,
      note: o.note ?? null,
      tags: o.tags ?? [],
      sourceIdentifier: o.sourceIdentifier ?? null,
      sourceName: o.sourceName ?? 'web',
      fulfillmentOrderIds: [],
      fulfillmentIds: [],
    };
    this.orders.set(id, order);
    this.#unindexed(order, at);
    const location = [...this.locations.values()][0];
    if (location) {
      const fo: FulfillmentOrder = {
        id: this.nextId(),
        orderId: id,
        locationId: location.id,
        status: 'OPEN',
        createdAt: at,
        updatedAt: at,
        lines: order.lines.map((l) => ({ id: this.nextId(), lineItemId: l.id, totalQuantity: l.quantity, remainingQuantity: l.quantity })),
      };
      this.fulfillmentOrders.set(fo.id, fo);
      order.fulfillmentOrderIds.push(fo.id);
      if (o.commit !== false) {
        for (const l of order.lines) {
          const v = l.variantId != null ? this.variants.get(l.variantId) : undefined;
          const item = v ? this.inventoryItems.get(v.inventoryItemId) : undefined;
          if (!item) continue;
          const q = this.level(item, location.id).quantities;
          q.available -= l.quantity;
          q.committed += l.quantity;
        }
      }
    }
    return order;
  }

  // Totals, in minor units.
  subtotal(o: Order): number {
    return o.lines.reduce((s, l) => s + l.unitPrice * l.quantity, 0);
  }
  discounts(o: Order): number {
    return o.lines.reduce((s, l) => s + l.discount, 0);
  }
  shipping(o: Order): number {
    return o.shippingLines.reduce((s, l) => s + l.price, 0);
  }
  tax(o: Order): number {
    return [...o.lines.flatMap((l) => l.taxLines), ...o.shippingLines.flatMap((l) => l.taxLines)].reduce((s, t) => s + t.price, 0);
  }
  total(o: Order): number {
    return this.subtotal(o) - this.discounts(o) + this.shipping(o) + (o.taxesIncluded ? 0 : this.tax(o));
  }

  fulfillmentStatus(o: Order): 'UNFULFILLED' | 'PARTIALLY_FULFILLED' | 'FULFILLED' {
    const fos = o.fulfillmentOrderIds.map((id) => this.fulfillmentOrders.get(id)!).filter((f) => f.status !== 'CANCELLED');
    const total = fos.flatMap((f) => f.lines).reduce((s, l) => s + l.totalQuantity, 0);
    const left = fos.flatMap((f) => f.lines).reduce((s, l) => s + l.remainingQuantity, 0);
    if (total === 0 || left === total) return 'UNFULFILLED';
    return left === 0 ? 'FULFILLED' : 'PARTIALLY_FULFILLED';
  }

  /** Deterministic seed: locations, products (1..maxVariants variants, stock at every location), customers, collections, orders. */
  seed(opts: SeedOptions = {}): void {
    const r = prng(opts.seed ?? 7);
    const now = this.clock();
    const nLoc = opts.locations ?? 2;
    const names = ['Main warehouse', 'Store front', 'Overflow', 'Outlet'];
    for (let i = 0; i < nLoc; i++) this.addLocation(names[i] ?? `Location ${i + 1}`);
    const colors = ['Red', 'Blue', 'Black', 'White'];
    const sizes = ['S', 'M', 'L'];
    const nProducts = opts.products ?? 10;
    const maxVariants = opts.maxVariants ?? 3;
    const locIds = [...this.locations.keys()];
    for (let i = 1; i <= nProducts; i++) {
      const nv = 1 + Math.floor(r() * maxVariants);
      const price = 500 + Math.floor(r() * 9500);
      const at = now - (nProducts - i + 1) * 60_000;
      this.addProduct(
        {
          title: `Sim Product ${i}`,
          variants: Array.from({ length: nv }, (_, k) => ({
            sku: nv === 1 ? `SKU-${i}` : `SKU-${i}-${k + 1}`,
            price: price + k * 100,
            options: nv === 1 ? undefined : { Color: colors[k % colors.length], Size: sizes[Math.floor(k / colors.length) % sizes.length] },
            barcode: `0${String(400000000000 + i * 10 + k)}`,
            stock: Object.fromEntries(locIds.map((l) => [l, Math.floor(r() * 50)])),
          })),
        },
        at,
      );
    }
    for (let i = 1; i <= (opts.customers ?? 5); i++) {
      const at = now - i * 3_600_000;
      const c: Customer = { id: this.nextId(), email: `buyer${i}@sim.example`, firstName: `Buyer`, lastName: `${i}`, phone: null, createdAt: at, ...this.indexed(at) };
      this.customers.set(c.id, c);
    }
    const productIds = [...this.products.keys()];
    for (let i = 1; i <= (opts.collections ?? 3); i++) {
      const c: Collection = { id: this.nextId(), title: `Collection ${i}`, handle: `collection-${i}`, productIds: productIds.filter((_, k) => k % (opts.collections ?? 3) === i - 1), ...this.indexed(now) };
      this.collections.set(c.id, c);
      for (const pid of c.productIds) this.products.get(pid)!.collectionIds.push(c.id);
    }
    const variantIds = [...this.variants.keys()];
    const customerIds = [...this.customers.keys()];
    const nOrders = opts.orders ?? 8;
    for (let i = 1; i <= nOrders && variantIds.length; i++) {
      const nl = 1 + Math.floor(r() * 3);
      const lines = Array.from({ length: nl }, () => {
        const v = this.variants.get(variantIds[Math.floor(r() * variantIds.length)])!;
        const quantity = 1 + Math.floor(r() * 3);
        const tax = Math.round(v.price * quantity * 0.0725);
        return { variantId: v.id, quantity, unitPrice: v.price, taxLines: [{ title: 'State tax', rate: 0.0725, price: tax }] };
      });
      const at = now - (nOrders - i + 1) * 120_000;
      const o = this.addOrder(
        {
          lines,
          shippingLines: [{ title: 'Standard', code: 'STANDARD', price: 599 }],
          email: customerIds.length ? `buyer${1 + (i % customerIds.length)}@sim.example` : null,
          customerId: customerIds.length ? customerIds[i % customerIds.length] : null,
          shippingAddress: { firstName: 'Buyer', lastName: String(i), address1: `${i} Main St`, city: 'Springfield', zip: '12345', countryCode: 'US', provinceCode: 'IL', phone: null },
          commit: false,
        },
        at,
      );
      // Every fourth order shipped in full, every seventh canceled.
      if (i % 4 === 0) {
        const fo = this.fulfillmentOrders.get(o.fulfillmentOrderIds[0])!;
        const f: Fulfillment = { id: this.nextId(), orderId: o.id, name: `${o.name}-F1`, status: 'SUCCESS', createdAt: at, updatedAt: at, tracking: [{ company: 'UPS', number: `1Z${o.id}`, url: null }], lines: fo.lines.map((l) => ({ id: this.nextId(), lineItemId: l.lineItemId, quantity: l.totalQuantity })) };
        for (const l of fo.lines) l.remainingQuantity = 0;
        fo.status = 'CLOSED';
        this.fulfillments.set(f.id, f);
        o.fulfillmentIds.push(f.id);
      } else if (i % 7 === 0) {
        o.cancelledAt = at;
        o.cancelReason = 'CUSTOMER';
        o.financialStatus = 'REFUNDED';
        for (const id of o.fulfillmentOrderIds) this.fulfillmentOrders.get(id)!.status = 'CLOSED';
      }
    }
  }
}
