// SP-API records to the canonical model: Orders 2026-01-01 orders, Listings Items 2021-08-01 listings,
// FBA inventory summaries. Upstream shapes are checked here with lenient schemas (unknown fields pass).
import { z } from 'zod';
import { AppError, type FieldError } from '../../core/errors.ts';
import type { Address, Attributes, InventoryLevelInput, OrderInput, OrderStatus, ProductInput } from '../../core/model/index.ts';
import type { RawRecord } from '../../core/ports.ts';
import { MARKETPLACES } from './marketplaces.ts';

const Money = z.object({ amount: z.string(), currencyCode: z.string() });
const Addr = z.object({
  name: z.string().nullish(),
  companyName: z.string().nullish(),
  addressLine1: z.string().nullish(),
  addressLine2: z.string().nullish(),
  addressLine3: z.string().nullish(),
  city: z.string().nullish(),
  districtOrCounty: z.string().nullish(),
  stateOrRegion: z.string().nullish(),
  postalCode: z.string().nullish(),
  countryCode: z.string().nullish(),
  phone: z.string().nullish(),
});
const Breakdown = z.object({ type: z.string(), subtotal: Money });

export const SpOrder = z.object({
  orderId: z.string().min(1),
  createdTime: z.string(),
  lastUpdatedTime: z.string(),
  salesChannel: z.object({ channelName: z.string(), marketplaceId: z.string().nullish() }),
  buyer: z.object({ buyerName: z.string().nullish(), buyerEmail: z.string().nullish(), buyerCompanyName: z.string().nullish() }).nullish(),
  recipient: z.object({ deliveryAddress: Addr.nullish() }).nullish(),
  proceeds: z.object({ grandTotal: Money.nullish(), breakdowns: z.array(Breakdown).nullish() }).nullish(),
  fulfillment: z.object({ fulfillmentStatus: z.string(), fulfilledBy: z.string().nullish() }).nullish(),
  orderItems: z.array(
    z.object({
      orderItemId: z.string().min(1),
      quantityOrdered: z.number().int().min(0),
      product: z.object({ asin: z.string().nullish(), title: z.string().nullish(), sellerSku: z.string().nullish(), price: z.object({ unitPrice: Money.nullish() }).nullish() }),
      proceeds: z.object({ proceedsTotal: Money.nullish(), breakdowns: z.array(Breakdown).nullish() }).nullish(),
      fulfillment: z.object({ quantityFulfilled: z.number().int().nullish(), quantityUnfulfilled: z.number().int().nullish() }).nullish(),
      cancellation: z.unknown().optional(),
    }),
  ),
  packages: z
    .array(z.object({ packageReferenceId: z.string(), carrier: z.string().nullish(), trackingNumber: z.string().nullish(), packageItems: z.array(z.object({ orderItemId: z.string(), quantity: z.number().int() })).nullish() }))
    .nullish(),
});
export type SpOrder = z.infer<typeof SpOrder>;

const STATUS: Record<string, OrderStatus> = {
  PENDING_AVAILABILITY: 'pending',
  PENDING: 'pending',
  UNSHIPPED: 'processing',
  PARTIALLY_SHIPPED: 'partially_shipped',
  SHIPPED: 'shipped',
  CANCELLED: 'canceled',
  UNFULFILLABLE: 'on_hold',
};

function readOrThrow<T>(schema: z.ZodType<T>, what: string, record: RawRecord): T {
  const r = schema.safeParse(record.payload);
  if (r.success) return r.data;
  const errors: FieldError[] = r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(record)', message: i.message }));
  throw new AppError('validation', `amazon ${what} ${record.external_id} cannot be read: ${errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors, retriable: false });
}

const DECIMAL = /^-?\d{1,18}(\.\d{1,8})?$/;
function decimal(value: string | null | undefined, fallback = '0.00'): string {
  if (!value) return fallback;
  const v = value.trim();
  return DECIMAL.test(v) ? v : fallback;
}
function abs(value: string): string {
  return value.startsWith('-') ? value.slice(1) : value;
}
/** Exact decimal sum of decimal strings (no float rounding). */
export function addDecimals(values: string[]): string {
  const scale = Math.max(2, ...values.map((v) => (v.split('.')[1] ?? '').length));
  let total = 0n;
  for (const v of values) {
    const neg = v.startsWith('-');
    const [i, f = ''] = (neg ? v.slice(1) : v).split('.');
    const n = BigInt(`${i}${f.padEnd(scale, '0')}`);
    total += neg ? -n : n;
  }
  const neg = total < 0n;
  const digits = (neg ? -total : total).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
function times(amount: string, qty: number): string {
  return addDecimals(Array<string>(Math.max(0, qty)).fill(amount)).replace(/^$/, '0.00');
}

function address(a: z.infer<typeof Addr> | null | undefined): Address | null {
  if (!a) return null;
  const country = a.countryCode && /^[A-Z]{2}$/.test(a.countryCode) ? a.countryCode : null;
  const out: Address = {
    name: a.name ?? null,
    company: a.companyName ?? null,
    line1: a.addressLine1 ?? null,
    line2: a.addressLine2 ?? null,
    line3: a.addressLine3 ?? null,
    city: a.city ?? null,
    region: a.stateOrRegion ?? a.districtOrCounty ?? null,
    postal_code: a.postalCode ?? null,
    country,
    phone: a.phone ?? null,
  };
  // FBA orders and Pending orders carry an empty or absent address: keep it null, not a row of nulls.
  return Object.values(out).some((v) => v !== null && v !== '') ? out : null;
}

function sumOf(breakdowns: z.infer<typeof Breakdown>[] | null | undefined, type: string): string | null {
  const hits = (breakdowns ?? []).filter((b) => b.type === type).map((b) => decimal(b.subtotal.amount));
  return hits.length ? addDecimals(hits) : null;
}

/** Whether Amazon fulfils the order (FBA/AFN): never confirmed by us, and its address stays with Amazon. */
export function isAfn(o: SpOrder): boolean {
  return o.fulfillment?.fulfilledBy === 'AMAZON';
}

export function toOrder(record: RawRecord): OrderInput {
  const o = readOrThrow(SpOrder, 'order', record);
  const rawStatus = o.fulfillment?.fulfillmentStatus ?? 'PENDING';
  const status = STATUS[rawStatus];
  if (!status) throw new AppError('validation', `amazon order ${o.orderId} has an unknown fulfillmentStatus "${rawStatus}"`, { retriable: false });
  const marketplace = o.salesChannel.marketplaceId ?? null;
  const pending = status === 'pending';
  const currency =
    o.proceeds?.grandTotal?.currencyCode ??
    o.orderItems.find((i) => i.product.price?.unitPrice)?.product.price?.unitPrice?.currencyCode ??
    (marketplace ? MARKETPLACES[marketplace]?.currency : undefined) ??
    'USD';
  const m = (amount: string) => ({ amount, currency });
  const lines = o.orderItems.map((it) => {
    // Pending orders have no prices yet: zero amounts until the order changes and is read again.
    const unit = pending ? '0.00' : decimal(it.product.price?.unitPrice?.amount);
    const shipped = Math.min(it.quantityOrdered, Math.max(0, it.fulfillment?.quantityFulfilled ?? (status === 'shipped' ? it.quantityOrdered : 0)));
    const canceled = status === 'canceled' ? it.quantityOrdered - shipped : 0;
    const tax = pending ? null : sumOf(it.proceeds?.breakdowns, 'TAX');
    const discount = pending ? null : sumOf(it.proceeds?.breakdowns, 'DISCOUNT');
    const total = pending ? '0.00' : decimal(it.proceeds?.proceedsTotal?.amount, times(unit, it.quantityOrdered));
    return {
      external_id: it.orderItemId,
      sku: it.product.sellerSku ?? it.product.asin ?? it.orderItemId,
      title: it.product.title ?? null,
      quantity: it.quantityOrdered,
      quantity_shipped: shipped,
      quantity_canceled: canceled,
      unit_price: m(unit),
      tax: m(tax ?? '0.00'),
      discount: m(abs(discount ?? '0.00')),
      total: m(total),
    };
  });
  const b = pending ? [] : (o.proceeds?.breakdowns ?? []);
  const subtotal = sumOf(b, 'ITEM') ?? (lines.length ? addDecimals(lines.map((l) => times(l.unit_price.amount, l.quantity))) : '0.00');
  const shipping = sumOf(b, 'SHIPPING') ?? '0.00';
  const tax = sumOf(b, 'TAX') ?? '0.00';
  const discount = abs(sumOf(b, 'DISCOUNT') ?? '0.00');
  const grand = pending ? '0.00' : decimal(o.proceeds?.grandTotal?.amount, addDecimals([subtotal, shipping, tax, `-${discount}`.replace('--', '')]));
  const afn = isAfn(o);
  return {
    external_id: o.orderId,
    order_number: o.orderId,
    marketplace_id: marketplace,
    status,
    channel_status: rawStatus,
    fulfillment_channel: afn ? 'marketplace' : 'merchant',
    currency,
    totals: { subtotal: m(subtotal), shipping: m(shipping), tax: m(tax), discount: m(discount), total: m(grand) },
    billing_address: null,
    shipping_address: pending ? null : address(o.recipient?.deliveryAddress),
    customer: { external_id: null, email: o.buyer?.buyerEmail ?? null, name: o.buyer?.buyerName ?? null },
    lines,
    placed_at: o.createdTime,
    created_at: o.createdTime,
    updated_at: o.lastUpdatedTime,
  };
}

// ---- Listings ----

const ListingMoney = z.object({ amount: z.union([z.string(), z.number()]), currencyCode: z.string() });
export const SpListing = z.object({
  sku: z.string().min(1),
  summaries: z
    .array(
      z.object({
        marketplaceId: z.string(),
        asin: z.string().nullish(),
        productType: z.string().nullish(),
        status: z.array(z.string()).nullish(),
        itemName: z.string().nullish(),
        createdDate: z.string().nullish(),
        lastUpdatedDate: z.string().nullish(),
        mainImage: z.object({ link: z.string() }).nullish(),
      }),
    )
    .nullish(),
  attributes: z.record(z.string(), z.unknown()).nullish(),
  issues: z.array(z.object({ code: z.string(), message: z.string(), severity: z.string(), attributeNames: z.array(z.string()).nullish() })).nullish(),
  offers: z.array(z.object({ marketplaceId: z.string(), offerType: z.string().nullish(), price: ListingMoney })).nullish(),
  fulfillmentAvailability: z.array(z.object({ fulfillmentChannelCode: z.string(), quantity: z.number().int().nullish() })).nullish(),
  productTypes: z.array(z.object({ marketplaceId: z.string(), productType: z.string() })).nullish(),
});
export type SpListing = z.infer<typeof SpListing>;

/** The first `value` of an Amazon attribute array, e.g. item_name: [{ value: "…", marketplace_id }]. */
export function firstValue(attributes: Record<string, unknown> | null | undefined, name: string): unknown {
  const arr = attributes?.[name];
  if (!Array.isArray(arr) || arr.length === 0) return undefined;
  const first = arr[0] as unknown;
  return typeof first === 'object' && first !== null && 'value' in first ? (first as { value: unknown }).value : undefined;
}

/** Amazon's nested attribute arrays flattened into the canonical typed bag (scalars kept, the rest as JSON). */
export function flattenAttributes(attributes: Record<string, unknown> | null | undefined): Attributes {
  const out: Attributes = {};
  for (const [name, arr] of Object.entries(attributes ?? {})) {
    const v = firstValue(attributes, name);
    if (typeof v === 'string') out[name] = v.slice(0, 65535);
    else if (typeof v === 'number' || typeof v === 'boolean') out[name] = v;
    else out[name] = JSON.stringify(arr).slice(0, 65535);
  }
  return out;
}

const EPOCH = '1970-01-01T00:00:00.000Z';

export function listingUpdatedAt(l: SpListing): string | null {
  const dates = (l.summaries ?? []).map((s) => s.lastUpdatedDate).filter((d): d is string => !!d).sort();
  return dates.at(-1) ?? null;
}

export function toProduct(record: RawRecord): ProductInput {
  const l = readOrThrow(SpListing, 'listing', record);
  const s = l.summaries?.[0];
  const title = s?.itemName ?? (firstValue(l.attributes, 'item_name') as string | undefined) ?? l.sku;
  const brand = firstValue(l.attributes, 'brand');
  const description = firstValue(l.attributes, 'product_description');
  const asin = s?.asin && s.asin.length <= 10 ? s.asin : null;
  const attributes = flattenAttributes(l.attributes);
  const issues = (l.issues ?? []).map((i) => `${i.severity} ${i.code}${i.attributeNames?.length ? ` [${i.attributeNames.join(',')}]` : ''}: ${i.message}`.slice(0, 2000));
  if (issues.length) attributes.amazon_issues = issues;
  if (s?.status) attributes.amazon_status = s.status;
  const prices = (l.offers ?? [])
    .filter((o) => (o.offerType ?? 'B2C') === 'B2C' && DECIMAL.test(String(o.price.amount)) && /^[A-Z]{3}$/.test(o.price.currencyCode))
    .map((o) => ({ marketplace_id: o.marketplaceId, price: { amount: String(o.price.amount), currency: o.price.currencyCode } }));
  const identifiers = { sku: l.sku, asin };
  const updated = listingUpdatedAt(l) ?? EPOCH;
  return {
    external_id: l.sku,
    title: String(title).slice(0, 1024),
    description: typeof description === 'string' ? description.slice(0, 200_000) : null,
    status: s?.status?.includes('BUYABLE') ? 'active' : 'inactive',
    product_type: s?.productType ?? l.productTypes?.[0]?.productType ?? null,
    brand: typeof brand === 'string' ? brand.slice(0, 255) : null,
    options: [],
    identifiers,
    attributes,
    images: s?.mainImage ? [{ url: s.mainImage.link.slice(0, 2048), position: 0, alt: null, roles: ['main'] }] : [],
    category_ids: [],
    prices,
    variants: [{ external_id: l.sku, sku: l.sku, title: String(title).slice(0, 1024), position: 0, options: {}, identifiers, prices, weight: null, attributes: {}, updated_at: updated }],
    created_at: s?.createdDate ?? updated,
    updated_at: updated,
  };
}

// ---- Inventory ----

/** A stock record the adapter builds: MFN quantity from a listing, or an FBA inventory summary. */
export const StockRecord = z.discriminatedUnion('source', [
  z.object({ source: z.literal('listing'), sku: z.string().min(1), quantity: z.number().int(), updated_at: z.string().nullable() }),
  z.object({
    source: z.literal('fba'),
    summary: z.object({
      sellerSku: z.string().min(1),
      totalQuantity: z.number().int().nullish(),
      lastUpdatedTime: z.string().nullish(),
      inventoryDetails: z
        .object({ fulfillableQuantity: z.number().int().nullish(), reservedQuantity: z.object({ totalReservedQuantity: z.number().int().nullish() }).nullish() })
        .nullish(),
    }),
    location: z.string(),
    observed_at: z.string(),
  }),
]);
export type StockRecord = z.infer<typeof StockRecord>;

/** The location of merchant-fulfilled (MFN) stock. */
export const MFN_LOCATION = 'DEFAULT';

export function toLevel(record: RawRecord): InventoryLevelInput {
  const r = readOrThrow(StockRecord, 'inventory record', record);
  if (r.source === 'listing') {
    return { sku: r.sku, location_id: MFN_LOCATION, fulfillment_channel: 'merchant', on_hand: r.quantity, reserved: 0, available: r.quantity, updated_at: r.updated_at ?? EPOCH };
  }
  const s = r.summary;
  const reserved = Math.max(0, s.inventoryDetails?.reservedQuantity?.totalReservedQuantity ?? 0);
  const available = s.inventoryDetails?.fulfillableQuantity ?? Math.max(0, (s.totalQuantity ?? 0) - reserved);
  // FBA summaries leave lastUpdatedTime empty when nothing changed recently: the time we read it stands in.
  const updated = s.lastUpdatedTime && !Number.isNaN(Date.parse(s.lastUpdatedTime)) && s.lastUpdatedTime.length > 0 ? s.lastUpdatedTime : r.observed_at;
  return { sku: s.sellerSku, location_id: r.location, fulfillment_channel: 'marketplace', on_hand: s.totalQuantity ?? available + reserved, reserved, available, updated_at: updated };
}
