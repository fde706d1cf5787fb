// The simulator's records seen as Admin GraphQL objects. Each view is a plain object whose keys are schema
// field names: a value, or a function of the field's arguments. Connection fields return a `Listing` (sorted,
// filtered rows) that the executor pages with bound cursors. Fields a view does not model are answered by the
// executor from the schema (null, or an empty value for non-null fields) and counted in `sim.unmodeled`.
import type { SimContext } from './execute.ts';
import { gid, money, parseGid, type Collection, type Customer, type Fulfillment, type FulfillmentOrder, type InventoryItem, type Level, type Location, type LineItem, type Order, type Product, type ShippingLine, type ShopifyState, type TaxLine, type Variant } from './state.ts';

export type View = { __typename: string; [field: string]: unknown };
type Args = Record<string, unknown>;

/** Rows of a connection with their sort value (keyset cursors: sort value + id). */
export class Listing<T = unknown> {
  constructor(
    readonly rows: T[],
    readonly key: (row: T) => { sort: string | number; id: number },
    readonly node: (row: T) => View,
  ) {}
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

// ---- search syntax: `updated_at:>'2026-01-01T00:00:00Z' AND sku:ABC status:open` ----
export interface Term {
  field: string | null;
  op: '=' | '>' | '>=' | '<' | '<=';
  value: string;
  negate: boolean;
}
export function parseSearch(q: string | undefined | null): Term[] {
  if (!q) return [];
  const terms: Term[] = [];
  const re = /(-)?(?:([a-z_.]+):)?(>=|<=|>|<)?(?:'([^']*)'|"([^"]*)"|(\S+))/gi;
  for (const m of q.matchAll(re)) {
    const word = m[4] ?? m[5] ?? m[6] ?? '';
    if (!m[2] && !m[1] && /^(AND|OR)$/.test(word)) continue;
    terms.push({ negate: !!m[1], field: m[2]?.toLowerCase() ?? null, op: (m[3] as Term['op']) ?? '=', value: word });
  }
  return terms;
}

type Fieldish = string | number | null | (string | number | null)[];
function matches(term: Term, actual: Fieldish): boolean {
  const values = Array.isArray(actual) ? actual : [actual];
  const test = (a: string | number | null): boolean => {
    if (a === null) return false;
    if (typeof a === 'number') {
      const b = /^\d{4}-\d\d-\d\d/.test(term.value) ? Date.parse(term.value) : Number(term.value);
      if (Number.isNaN(b)) return false;
      return term.op === '>' ? a > b : term.op === '>=' ? a >= b : term.op === '<' ? a < b : term.op === '<=' ? a <= b : a === b;
    }
    const v = term.value.toLowerCase();
    const s = a.toLowerCase();
    if (term.op !== '=') return term.op === '>' ? s > v : term.op === '>=' ? s >= v : term.op === '<' ? s < v : s <= v;
    return v.endsWith('*') ? s.startsWith(v.slice(0, -1)) : s === v;
  };
  const hit = values.some(test);
  return term.negate ? !hit : hit;
}

/** Filters rows by a search query over the fields `fieldOf` knows (unknown fields are ignored, as Shopify does). */
function search<T>(rows: Iterable<T>, query: unknown, fieldOf: (row: T, field: string | null) => Fieldish | undefined): T[] {
  const terms = parseSearch(typeof query === 'string' ? query : null);
  const out: T[] = [];
  for (const row of rows) {
    if (terms.every((t) => {
      const v = fieldOf(row, t.field);
      return v === undefined || matches(t, v);
    })) out.push(row);
  }
  return out;
}

function sorted<T>(rows: T[], key: (row: T) => { sort: string | number; id: number }, reverse: unknown): Listing<T>['rows'] {
  const dir = reverse === true ? -1 : 1;
  return rows
    .map((r) => ({ r, k: key(r) }))
    .sort((a, b) => dir * (a.k.sort < b.k.sort ? -1 : a.k.sort > b.k.sort ? 1 : a.k.id - b.k.id))
    .map((x) => x.r);
}

const count = (n: number) => ({ __typename: 'Count', count: Math.min(n, 10_000), precision: n > 10_000 ? 'AT_LEAST' : 'EXACT' });
const moneyV2 = (amount: number, currencyCode: string) => ({ __typename: 'MoneyV2', amount: money(amount), currencyCode });
const moneyBag = (amount: number, currency: string) => ({ __typename: 'MoneyBag', shopMoney: moneyV2(amount, currency), presentmentMoney: moneyV2(amount, currency) });

export class Views {
  constructor(readonly state: ShopifyState) {}

  // ---- root lists ----
  products(args: Args): Listing<Product> {
    const s = this.state;
    const rows = search(s.products.values(), args.query, (p, f) => {
      switch (f) {
        case null:
        case 'title':
          return p.title;
        case 'updated_at':
          return s.indexedUpdatedAt(p);
        case 'created_at':
          return p.createdAt;
        case 'id':
          return p.id;
        case 'sku':
          return p.variantIds.map((v) => s.variants.get(v)!.sku);
        case 'status':
          return p.status;
        case 'vendor':
          return p.vendor;
        case 'product_type':
          return p.productType;
        case 'handle':
          return p.handle;
        case 'tag':
          return p.tags;
        default:
          return undefined;
      }
    });
    const key = (p: Product) => {
      switch (args.sortKey) {
        case 'UPDATED_AT':
          return { sort: p.updatedAt, id: p.id };
        case 'CREATED_AT':
          return { sort: p.createdAt, id: p.id };
        case 'TITLE':
          return { sort: p.title.toLowerCase(), id: p.id };
        default:
          return { sort: p.id, id: p.id };
      }
    };
    return new Listing(sorted(rows, key, args.reverse), key, (p) => this.product(p));
  }

  productVariants(args: Args): Listing<Variant> {
    const s = this.state;
    const rows = search(s.variants.values(), args.query, (v, f) => {
      switch (f) {
        case null:
        case 'sku':
          return v.sku;
        case 'updated_at':
          return v.updatedAt;
        case 'id':
          return v.id;
        case 'product_id':
          return v.productId;
        case 'barcode':
          return v.barcode;
        default:
          return undefined;
      }
    });
    const key = (v: Variant) => (args.sortKey === 'SKU' ? { sort: v.sku, id: v.id } : { sort: v.id, id: v.id });
    return new Listing(sorted(rows, key, args.reverse), key, (v) => this.variant(v));
  }

  inventoryItems(args: Args): Listing<InventoryItem> {
    const rows = search(this.state.inventoryItems.values(), args.query, (i, f) => (f === 'sku' || f === null ? i.sku : f === 'id' ? i.id : f === 'updated_at' ? i.updatedAt : undefined));
    const key = (i: InventoryItem) => ({ sort: i.id, id: i.id });
    return new Listing(sorted(rows, key, args.reverse), key, (i) => this.inventoryItem(i));
  }

  locations(args: Args): Listing<Location> {
    const rows = [...this.state.locations.values()].filter((l) => l.isActive || args.includeInactive === true);
    const key = (l: Location) => ({ sort: l.id, id: l.id });
    return new Listing(sorted(rows, key, args.reverse), key, (l) => this.location(l.id));
  }

  orders(args: Args, ctx: SimContext): Listing<Order> {
    const s = this.state;
    // Without read_all_orders an app sees the last 60 days of orders only.
    const horizon = ctx.scopes.has('read_all_orders') ? -Infinity : s.clock() - 60 * 86_400_000;
    const visible = [...s.orders.values()].filter((o) => o.createdAt >= horizon);
    const rows = search(visible, args.query, (o, f) => {
      switch (f) {
        case null:
        case 'name':
          return o.name;
        case 'updated_at':
          return s.indexedUpdatedAt(o);
        case 'created_at':
          return o.createdAt;
        case 'processed_at':
          return o.processedAt;
        case 'id':
          return o.id;
        case 'status':
          return o.cancelledAt ? 'cancelled' : o.closedAt ? 'closed' : 'open';
        case 'financial_status':
          return o.financialStatus.toLowerCase();
        case 'fulfillment_status':
          return s.fulfillmentStatus(o) === 'FULFILLED' ? 'shipped' : s.fulfillmentStatus(o) === 'PARTIALLY_FULFILLED' ? 'partial' : 'unshipped';
        case 'sku':
          return o.lines.map((l) => l.sku);
        case 'source_identifier':
          return o.sourceIdentifier;
        case 'email':
          return o.email;
        case 'tag':
          return o.tags;
        default:
          return undefined;
      }
    });
    const key = (o: Order) => {
      switch (args.sortKey) {
        case 'UPDATED_AT':
          return { sort: o.updatedAt, id: o.id };
        case 'CREATED_AT':
          return { sort: o.createdAt, id: o.id };
        case 'PROCESSED_AT':
          return { sort: o.processedAt, id: o.id };
        default:
          return { sort: o.id, id: o.id };
      }
    };
    return new Listing(sorted(rows, key, args.reverse), key, (o) => this.order(o));
  }

  customers(args: Args): Listing<Customer> {
    const s = this.state;
    const rows = search(s.customers.values(), args.query, (c, f) => (f === 'updated_at' ? s.indexedUpdatedAt(c) : f === 'email' || f === null ? c.email : f === 'id' ? c.id : undefined));
    const key = (c: Customer) => (args.sortKey === 'UPDATED_AT' ? { sort: c.updatedAt, id: c.id } : { sort: c.id, id: c.id });
    return new Listing(sorted(rows, key, args.reverse), key, (c) => this.customer(c));
  }

  collections(args: Args): Listing<Collection> {
    const s = this.state;
    const rows = search(s.collections.values(), args.query, (c, f) => (f === 'updated_at' ? s.indexedUpdatedAt(c) : f === 'title' || f === null ? c.title : f === 'id' ? c.id : undefined));
    const key = (c: Collection) => (args.sortKey === 'UPDATED_AT' ? { sort: c.updatedAt, id: c.id } : { sort: c.id, id: c.id });
    return new Listing(sorted(rows, key, args.reverse), key, (c) => this.collection(c));
  }

  fulfillmentOrders(args: Args): Listing<FulfillmentOrder> {
    const rows = [...this.state.fulfillmentOrders.values()].filter((f) => args.includeClosed === true || (f.status !== 'CLOSED' && f.status !== 'CANCELLED'));
    const key = (f: FulfillmentOrder) => ({ sort: f.id, id: f.id });
    return new Listing(sorted(rows, key, args.reverse), key, (f) => this.fulfillmentOrder(f));
  }

  /** Any record by its gid (node / nodes), or null. */
  node(id: unknown): View | null {
    const s = this.state;
    const n = (t: string) => parseGid(id, t);
    let x: number | null;
    if ((x = n('Product')) !== null) return s.products.has(x) ? this.product(s.products.get(x)!) : null;
    if ((x = n('ProductVariant')) !== null) return s.variants.has(x) ? this.variant(s.variants.get(x)!) : null;
    if ((x = n('InventoryItem')) !== null) return s.inventoryItems.has(x) ? this.inventoryItem(s.inventoryItems.get(x)!) : null;
    if ((x = n('Location')) !== null) return s.locations.has(x) ? this.location(x) : null;
    if ((x = n('Order')) !== null) return s.orders.has(x) ? this.order(s.orders.get(x)!) : null;
    if ((x = n('Customer')) !== null) return s.customers.has(x) ? this.customer(s.customers.get(x)!) : null;
    if ((x = n('Collection')) !== null) return s.collections.has(x) ? this.collection(s.collections.get(x)!) : null;
    if ((x = n('FulfillmentOrder')) !== null) return s.fulfillmentOrders.has(x) ? this.fulfillmentOrder(s.fulfillmentOrders.get(x)!) : null;
    if ((x = n('Fulfillment')) !== null) return s.fulfillments.has(x) ? this.fulfillment(s.fulfillments.get(x)!) : null;
    if ((x = n('BulkOperation')) !== null) return s.bulkOperations.has(x) ? this.bulkOperation(x) : null;
    if ((x = n('WebhookSubscription')) !== null) return s.webhooks.has(x) ? this.webhook(x) : null;
    return null;
  }

  // ---- objects ----
  shop(ctx: SimContext): View {
    const sh = this.state.shop;
    return {
      __typename: 'Shop',
      id: gid('Shop', sh.id),
      name: sh.name,
      email: sh.email,
      contactEmail: sh.email,
      myshopifyDomain: sh.myshopifyDomain,
      currencyCode: sh.currencyCode,
      enabledPresentmentCurrencies: [sh.currencyCode],
      ianaTimezone: sh.ianaTimezone,
      taxesIncluded: false,
      plan: { __typename: 'ShopPlan', publicDisplayName: sh.plan, shopifyPlus: sh.plusPlan, partnerDevelopment: false },
      __ctx: ctx,
    };
  }

  product(p: Product): View {
    const s = this.state;
    const variants = () => p.variantIds.map((id) => s.variants.get(id)!);
    return {
      __typename: 'Product',
      id: gid('Product', p.id),
      legacyResourceId: String(p.id),
      title: p.title,
      handle: p.handle,
      descriptionHtml: p.descriptionHtml,
      description: p.descriptionHtml.replace(/<[^>]+>/g, ''),
      vendor: p.vendor,
      productType: p.productType,
      status: p.status,
      tags: p.tags,
      createdAt: iso(p.createdAt),
      updatedAt: iso(p.updatedAt),
      hasOnlyDefaultVariant: p.variantIds.length === 1 && p.options[0]?.name === 'Title',
      tracksInventory: true,
      totalInventory: () => variants().reduce((sum, v) => sum + this.available(s.inventoryItems.get(v.inventoryItemId)!), 0),
      options: (a: Args) => p.options.slice(0, typeof a.first === 'number' ? a.first : undefined).map((o, i) => ({ __typename: 'ProductOption', id: gid('ProductOption', o.id), name: o.name, position: i + 1, values: o.values })),
      variants: (a: Args) => {
        const key = (v: Variant) => ({ sort: a.sortKey === 'SKU' ? v.sku : v.position, id: v.id });
        return new Listing(sorted(variants(), key, a.reverse), key, (v) => this.variant(v));
      },
      variantsCount: () => count(p.variantIds.length),
      collections: (a: Args) => {
        const rows = p.collectionIds.map((id) => s.collections.get(id)!);
        const key = (c: Collection) => ({ sort: c.id, id: c.id });
        return new Listing(sorted(rows, key, a.reverse), key, (c) => this.collection(c));
      },
    };
  }

  available(item: InventoryItem): number {
    let n = 0;
    for (const l of item.levels.values()) n += l.quantities.available;
    return n;
  }

  variant(v: Variant): View {
    const s = this.state;
    const item = s.inventoryItems.get(v.inventoryItemId)!;
    return {
      __typename: 'ProductVariant',
      id: gid('ProductVariant', v.id),
      legacyResourceId: String(v.id),
      sku: v.sku,
      title: v.title,
      displayName: `${s.products.get(v.productId)?.title ?? ''} - ${v.title}`,
      price: money(v.price),
      compareAtPrice: v.compareAtPrice == null ? null : money(v.compareAtPrice),
      barcode: v.barcode,
      position: v.position,
      selectedOptions: v.selectedOptions.map((o) => ({ __typename: 'SelectedOption', ...o })),
      inventoryQuantity: this.available(item),
      inventoryItem: () => this.inventoryItem(item),
      product: () => this.product(s.products.get(v.productId)!),
      createdAt: iso(v.createdAt),
      updatedAt: iso(v.updatedAt),
      taxable: true,
      availableForSale: true,
    };
  }

  inventoryItem(i: InventoryItem): View {
    const s = this.state;
    return {
      __typename: 'InventoryItem',
      id: gid('InventoryItem', i.id),
      legacyResourceId: String(i.id),
      sku: i.sku,
      tracked: i.tracked,
      requiresShipping: true,
      createdAt: iso(i.createdAt),
      updatedAt: iso(i.updatedAt),
      variant: () => this.variant(s.variants.get(i.variantId)!),
      inventoryLevels: (a: Args) => {
        const rows = [...i.levels.values()].filter((l) => s.locations.get(l.locationId)?.isActive || a.includeInactive === true);
        const key = (l: Level) => ({ sort: l.id, id: l.id });
        return new Listing(sorted(rows, key, a.reverse), key, (l) => this.level(i, l));
      },
      inventoryLevel: (a: Args) => {
        const loc = parseGid(a.locationId, 'Location');
        const l = loc === null ? undefined : i.levels.get(loc);
        return l ? this.level(i, l) : null;
      },
    };
  }

  level(i: InventoryItem, l: Level): View {
    const id = `gid://shopify/InventoryLevel/${l.id}?inventory_item_id=${i.id}`;
    return {
      __typename: 'InventoryLevel',
      id,
      isActive: true,
      canDeactivate: false,
      createdAt: iso(i.createdAt),
      updatedAt: iso(l.updatedAt),
      item: () => this.inventoryItem(i),
      location: () => this.location(l.locationId),
      quantities: (a: Args) =>
        (Array.isArray(a.names) ? (a.names as string[]) : []).map((name) => ({
          __typename: 'InventoryQuantity',
          id: `gid://shopify/InventoryQuantity/${l.id}?inventory_item_id=${i.id}&name=${name}`,
          name,
          quantity: l.quantities[name as keyof Level['quantities']] ?? 0,
          updatedAt: iso(l.updatedAt),
        })),
    };
  }

  location(id: number): View {
    const l = this.state.locations.get(id)!;
    return {
      __typename: 'Location',
      id: gid('Location', l.id),
      legacyResourceId: String(l.id),
      name: l.name,
      isActive: l.isActive,
      fulfillsOnlineOrders: true,
      shipsInventory: true,
      hasActiveInventory: true,
      inventoryLevels: (a: Args) => {
        const rows = [...this.state.inventoryItems.values()].filter((i) => i.levels.has(id));
        const key = (i: InventoryItem) => ({ sort: i.id, id: i.id });
        return new Listing(sorted(rows, key, a.reverse), key, (i) => this.level(i, i.levels.get(id)!));
      },
    };
  }

  customer(c: Customer): View {
    return {
      __typename: 'Customer',
      id: gid('Customer', c.id),
      legacyResourceId: String(c.id),
      firstName: c.firstName,
      lastName: c.lastName,
      displayName: `${c.firstName} ${c.lastName}`,
      defaultEmailAddress: { __typename: 'CustomerEmailAddress', emailAddress: c.email },
      defaultPhoneNumber: c.phone ? { __typename: 'CustomerPhoneNumber', phoneNumber: c.phone } : null,
      createdAt: iso(c.createdAt),
      updatedAt: iso(c.updatedAt),
      tags: [],
    };
  }

  collection(c: Collection): View {
    const s = this.state;
    return {
      __typename: 'Collection',
      id: gid('Collection', c.id),
      legacyResourceId: String(c.id),
      title: c.title,
      handle: c.handle,
      updatedAt: iso(c.updatedAt),
      productsCount: () => count(c.productIds.length),
      products: (a: Args) => {
        const rows = c.productIds.map((id) => s.products.get(id)!);
        const key = (p: Product) => ({ sort: p.id, id: p.id });
        return new Listing(sorted(rows, key, a.reverse), key, (p) => this.product(p));
      },
    };
  }

  taxLine(t: TaxLine, currency: string): View {
    return { __typename: 'TaxLine', title: t.title, rate: t.rate, ratePercentage: Math.round(t.rate * 10_000) / 100, priceSet: moneyBag(t.price, currency), channelLiable: false };
  }

  lineItem(o: Order, l: LineItem): View {
    const s = this.state;
    const cur = o.currency;
    const unfulfilled = o.fulfillmentOrderIds
      .map((id) => s.fulfillmentOrders.get(id)!)
      .filter((f) => f.status !== 'CANCELLED')
      .flatMap((f) => f.lines)
      .filter((fl) => fl.lineItemId === l.id)
      .reduce((sum, fl) => sum + fl.remainingQuantity, 0);
    const v = l.variantId != null ? s.variants.get(l.variantId) : undefined;
    return {
      __typename: 'LineItem',
      id: gid('LineItem', l.id),
      sku: l.sku,
      title: l.title,
      name: l.title,
      variantTitle: v?.title ?? null,
      quantity: l.quantity,
      currentQuantity: o.cancelledAt ? 0 : l.quantity,
      unfulfilledQuantity: o.cancelledAt ? 0 : unfulfilled,
      requiresShipping: true,
      taxable: l.taxLines.length > 0,
      variant: () => (v ? this.variant(v) : null),
      product: () => (v ? this.product(s.products.get(v.productId)!) : null),
      originalUnitPriceSet: moneyBag(l.unitPrice, cur),
      originalTotalSet: moneyBag(l.unitPrice * l.quantity, cur),
      totalDiscountSet: moneyBag(l.discount, cur),
      discountedTotalSet: () => moneyBag(l.unitPrice * l.quantity - l.discount, cur),
      taxLines: (a: Args) => l.taxLines.slice(0, typeof a.first === 'number' ? a.first : undefined).map((t) => this.taxLine(t, cur)),
      discountAllocations: l.discount ? [{ __typename: 'DiscountAllocation', allocatedAmountSet: moneyBag(l.discount, cur) }] : [],
    };
  }

  shippingLine(o: Order, sl: ShippingLine): View {
    return {
      __typename: 'ShippingLine',
      id: gid('ShippingLine', sl.id),
      title: sl.title,
      code: sl.code,
      source: 'shopify',
      custom: false,
      isRemoved: false,
      originalPriceSet: moneyBag(sl.price, o.currency),
      discountedPriceSet: moneyBag(sl.price, o.currency),
      currentDiscountedPriceSet: moneyBag(sl.price, o.currency),
      taxLines: sl.taxLines.map((t) => this.taxLine(t, o.currency)),
      discountAllocations: [],
    };
  }

  order(o: Order): View {
    const s = this.state;
    const cur = o.currency;
    const address = o.shippingAddress
      ? { __typename: 'MailingAddress', firstName: o.shippingAddress.firstName, lastName: o.shippingAddress.lastName, name: `${o.shippingAddress.firstName} ${o.shippingAddress.lastName}`, address1: o.shippingAddress.address1, city: o.shippingAddress.city, zip: o.shippingAddress.zip, countryCodeV2: o.shippingAddress.countryCode, provinceCode: o.shippingAddress.provinceCode, phone: o.shippingAddress.phone }
      : null;
    return {
      __typename: 'Order',
      id: gid('Order', o.id),
      legacyResourceId: String(o.id),
      name: o.name,
      email: o.email,
      createdAt: iso(o.createdAt),
      updatedAt: iso(o.updatedAt),
      processedAt: iso(o.processedAt),
      cancelledAt: iso(o.cancelledAt),
      cancelReason: o.cancelReason,
      closed: o.closedAt !== null,
      closedAt: iso(o.closedAt),
      confirmed: true,
      test: false,
      currencyCode: cur,
      presentmentCurrencyCode: cur,
      taxesIncluded: o.taxesIncluded,
      displayFinancialStatus: o.financialStatus,
      displayFulfillmentStatus: () => s.fulfillmentStatus(o),
      fullyPaid: o.financialStatus === 'PAID',
      note: o.note,
      tags: o.tags,
      sourceIdentifier: o.sourceIdentifier,
      sourceName: o.sourceName,
      discountCodes: o.discountCodes,
      customer: () => (o.customerId != null && s.customers.has(o.customerId) ? this.customer(s.customers.get(o.customerId)!) : null),
      shippingAddress: address,
      subtotalPriceSet: () => moneyBag(s.subtotal(o) - s.discounts(o), cur),
      currentSubtotalPriceSet: () => moneyBag(s.subtotal(o) - s.discounts(o), cur),
      totalDiscountsSet: () => moneyBag(s.discounts(o), cur),
      currentTotalDiscountsSet: () => moneyBag(s.discounts(o), cur),
      totalShippingPriceSet: () => moneyBag(s.shipping(o), cur),
      currentShippingPriceSet: () => moneyBag(s.shipping(o), cur),
      totalTaxSet: () => moneyBag(s.tax(o), cur),
      currentTotalTaxSet: () => moneyBag(s.tax(o), cur),
      totalPriceSet: () => moneyBag(s.total(o), cur),
      currentTotalPriceSet: () => moneyBag(o.cancelledAt ? 0 : s.total(o), cur),
      taxLines: () => {
        const byTitle = new Map<string, TaxLine>();
        for (const t of [...o.lines.flatMap((l) => l.taxLines), ...o.shippingLines.flatMap((l) => l.taxLines)]) {
          const k = `${t.title}@${t.rate}`;
          const prev = byTitle.get(k);
          byTitle.set(k, prev ? { ...prev, price: prev.price + t.price } : { ...t });
        }
        return [...byTitle.values()].map((t) => this.taxLine(t, cur));
      },
      lineItems: (a: Args) => {
        const key = (l: LineItem) => ({ sort: l.id, id: l.id });
        return new Listing(sorted(o.lines, key, a.reverse), key, (l) => this.lineItem(o, l));
      },
      shippingLines: (a: Args) => {
        const key = (l: ShippingLine) => ({ sort: l.id, id: l.id });
        return new Listing(sorted(o.shippingLines, key, a.reverse), key, (l) => this.shippingLine(o, l));
      },
      shippingLine: () => (o.shippingLines[0] ? this.shippingLine(o, o.shippingLines[0]) : null),
      fulfillmentOrders: (a: Args) => {
        const rows = o.fulfillmentOrderIds.map((id) => s.fulfillmentOrders.get(id)!);
        const key = (f: FulfillmentOrder) => ({ sort: f.id, id: f.id });
        return new Listing(sorted(rows, key, a.reverse), key, (f) => this.fulfillmentOrder(f));
      },
      fulfillments: (a: Args) => o.fulfillmentIds.slice(0, typeof a.first === 'number' ? a.first : undefined).map((id) => this.fulfillment(s.fulfillments.get(id)!)),
    };
  }

  fulfillmentOrder(f: FulfillmentOrder): View {
    const s = this.state;
    const o = s.orders.get(f.orderId)!;
    return {
      __typename: 'FulfillmentOrder',
      id: gid('FulfillmentOrder', f.id),
      orderId: gid('Order', o.id),
      orderName: o.name,
      orderProcessedAt: iso(o.processedAt),
      status: f.status,
      requestStatus: 'UNSUBMITTED',
      createdAt: iso(f.createdAt),
      updatedAt: iso(f.updatedAt),
      order: () => this.order(o),
      assignedLocation: () => ({ __typename: 'FulfillmentOrderAssignedLocation', name: s.locations.get(f.locationId)?.name ?? '', location: this.location(f.locationId) }),
      supportedActions: f.status === 'OPEN' || f.status === 'IN_PROGRESS' ? [{ __typename: 'FulfillmentOrderSupportedAction', action: 'CREATE_FULFILLMENT' }] : [],
      lineItems: (a: Args) => {
        const key = (l: FulfillmentOrder['lines'][number]) => ({ sort: l.id, id: l.id });
        return new Listing(sorted(f.lines, key, a.reverse), key, (l) => {
          const li = o.lines.find((x) => x.id === l.lineItemId)!;
          const v = li.variantId != null ? s.variants.get(li.variantId) : undefined;
          return {
            __typename: 'FulfillmentOrderLineItem',
            id: gid('FulfillmentOrderLineItem', l.id),
            totalQuantity: l.totalQuantity,
            remainingQuantity: l.remainingQuantity,
            sku: li.sku,
            productTitle: li.title,
            requiresShipping: true,
            inventoryItemId: v ? gid('InventoryItem', v.inventoryItemId) : null,
            lineItem: () => this.lineItem(o, li),
            variant: () => (v ? this.variant(v) : null),
          };
        });
      },
      fulfillments: (a: Args) => {
        const rows = o.fulfillmentIds.map((id) => s.fulfillments.get(id)!);
        const key = (x: Fulfillment) => ({ sort: x.id, id: x.id });
        return new Listing(sorted(rows, key, a.reverse), key, (x) => this.fulfillment(x));
      },
    };
  }

  fulfillment(f: Fulfillment): View {
    const s = this.state;
    const o = s.orders.get(f.orderId)!;
    return {
      __typename: 'Fulfillment',
      id: gid('Fulfillment', f.id),
      legacyResourceId: String(f.id),
      name: f.name,
      status: f.status,
      displayStatus: f.status === 'SUCCESS' ? 'FULFILLED' : 'CANCELED',
      createdAt: iso(f.createdAt),
      updatedAt: iso(f.updatedAt),
      requiresShipping: true,
      totalQuantity: f.lines.reduce((n, l) => n + l.quantity, 0),
      order: () => this.order(o),
      trackingInfo: (a: Args) => f.tracking.slice(0, typeof a.first === 'number' ? a.first : undefined).map((t) => ({ __typename: 'FulfillmentTrackingInfo', ...t })),
      fulfillmentLineItems: (a: Args) => {
        const key = (l: Fulfillment['lines'][number]) => ({ sort: l.id, id: l.id });
        return new Listing(sorted(f.lines, key, a.reverse), key, (l) => ({
          __typename: 'FulfillmentLineItem',
          id: gid('FulfillmentLineItem', l.id),
          quantity: l.quantity,
          lineItem: () => this.lineItem(o, o.lines.find((x) => x.id === l.lineItemId)!),
        }));
      },
    };
  }

  bulkOperation(id: number): View {
    const b = this.state.bulkOperations.get(id)!;
    return {
      __typename: 'BulkOperation',
      id: gid('BulkOperation', b.id),
      status: b.status,
      type: 'QUERY',
      query: b.query,
      createdAt: iso(b.createdAt),
      completedAt: iso(b.completedAt),
      objectCount: String(b.objectCount),
      rootObjectCount: String(b.rootObjectCount),
      fileSize: b.fileSize == null ? null : String(b.fileSize),
      url: b.url,
      partialDataUrl: null,
      errorCode: b.errorCode,
    };
  }

  webhook(id: number): View {
    const w = this.state.webhooks.get(id)!;
    return {
      __typename: 'WebhookSubscription',
      id: gid('WebhookSubscription', w.id),
      legacyResourceId: String(w.id),
      topic: w.topic,
      uri: w.uri,
      format: w.format,
      includeFields: [],
      metafieldNamespaces: [],
      metafields: [],
      filter: null,
      name: null,
      createdAt: iso(w.createdAt),
      updatedAt: iso(w.createdAt),
      apiVersion: { __typename: 'ApiVersion', handle: '2026-10', displayName: '2026-10', supported: true },
    };
  }
}
